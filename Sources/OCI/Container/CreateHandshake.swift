// CreateHandshake.swift: how `create` and the container process it forked
// agree that the container exists, when there is anything to check or run
// on the way (network devices, create-time hooks). Two pipes, one byte per
// step from the child, each answered or not:
//
//   create -> child    G          in its cgroup, with its limits: begin
//   child  -> create   N          in its namespaces; waiting for the go
//                                 (only when there are prestart or
//                                 createRuntime hooks: create runs them now,
//                                 with the child's PID in the state, so they
//                                 can reach /proc/PID/ns/net)
//   create -> child    G          the hooks succeeded: go on
//   child  -> create   R          createContainer hooks run, interfaces
//                                 read, command line filled in: ready
//   child  -> create   E MESSAGE  it failed (the message up to EOF)
//
// A child that dies says nothing more: EOF is a failure too. On any
// failure `create` kills the child and fails with the message.

import COCI
import Glibc

struct CreateHandshake {
    static let inNamespaces = UInt8(ascii: "N")
    static let go = UInt8(ascii: "G")
    static let ready = UInt8(ascii: "R")
    static let failed = UInt8(ascii: "E")

    /// child -> create, and create -> child.
    private(set) var up: [Int32] = [-1, -1]
    private(set) var down: [Int32] = [-1, -1]

    init() throws(OCIError) {
        guard coci_pipe(&up) == 0 else { throw .system("pipe", errno: errno) }
        guard coci_pipe(&down) == 0 else {
            close(up[0]); close(up[1])
            throw .system("pipe", errno: errno)
        }
    }

    /// The descriptors the child keeps.
    var childFDs: [Int32] { [up[1], down[0]] }

    func closeAll() {
        for fd in up + down where fd >= 0 { close(fd) }
    }

    // MARK: the child's side

    /// After fork, in the child: drops the parent's ends.
    func enterChild() {
        close(up[0])
        close(down[1])
    }

    /// Waits for `create` to place it in its cgroup; false if `create`
    /// gave up.
    func awaitRelease() -> Bool {
        var byte: UInt8 = 0
        var n: Int
        repeat { n = read(down[0], &byte, 1) } while n < 0 && errno == EINTR
        return n == 1 && byte == CreateHandshake.go
    }

    /// Says it is in its namespaces and waits for the go; false if `create`
    /// gave up (a hook failed) or went away.
    func awaitGo() -> Bool {
        send([CreateHandshake.inNamespaces])
        var byte: UInt8 = 0
        var n: Int
        repeat { n = read(down[0], &byte, 1) } while n < 0 && errno == EINTR
        return n == 1 && byte == CreateHandshake.go
    }

    func sayReady() {
        send([CreateHandshake.ready])
    }

    func sayFailed(_ message: String) {
        send([CreateHandshake.failed] + Array(message.utf8))
    }

    /// The child's ends are closed once it waits for `start`.
    func leaveChild() {
        close(up[1])
        close(down[0])
    }

    private func send(_ bytes: [UInt8]) {
        try? Files.writeAll(up[1], bytes, what: "create handshake")
    }

    // MARK: create's side

    /// After fork, in `create`: drops the child's ends.
    func enterParent() {
        close(up[1])
        close(down[0])
    }

    /// Lets the child begin (once it is in its cgroup).
    func release() throws(OCIError) {
        var g = CreateHandshake.go
        guard write(down[1], &g, 1) == 1 else { throw .system("create handshake", errno: errno) }
    }

    /// `create` is done with the child.
    func leaveParent() {
        close(up[0])
        close(down[1])
    }

    /// Answers the child until it is ready. `runtimeHooks` runs prestart
    /// and createRuntime when the child asks. On failure the child is
    /// killed and reaped, and the error thrown.
    func conduct(child pid: Int32, runtimeHooks: () throws(OCIError) -> Void) throws(OCIError) {
        defer { leaveParent() }
        do throws(OCIError) {
            while true {
                switch readByte() {
                case CreateHandshake.ready?:
                    return
                case CreateHandshake.inNamespaces?:
                    try runtimeHooks()
                    var g = CreateHandshake.go
                    guard write(down[1], &g, 1) == 1 else { throw .system("create handshake", errno: errno) }
                default:
                    let rest = (try? Files.read(fd: up[0], what: "create handshake", limit: 65536)) ?? []
                    let message = String(decoding: rest, as: UTF8.self)
                    throw OCIError(message.isEmpty ? "the container process ended during create" : message)
                }
            }
        } catch {
            Glibc.kill(pid, SIGKILL)
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            throw error
        }
    }

    private func readByte() -> UInt8? {
        var byte: UInt8 = 0
        var n: Int
        repeat { n = read(up[0], &byte, 1) } while n < 0 && errno == EINTR
        return n == 1 ? byte : nil
    }
}
