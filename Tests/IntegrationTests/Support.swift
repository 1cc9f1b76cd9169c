// Support.swift: helpers for tests that boot real unikernels.
//
// Tests run the built artefacts as a user would: the `ukvm` monitor from
// build/bin, images from build/ukvm and build/virtio, QEMU through
// scripts/virtio-run. Everything runs as a child process under a timeout, so
// a hung guest fails its test instead of hanging the suite.

import Foundation
import Testing

/// The repository root (the directory holding Package.swift).
let repoRoot: URL = {
    var url = URL(fileURLWithPath: #filePath)
    while url.path != "/" {
        url.deleteLastPathComponent()
        if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) {
            return url
        }
    }
    fatalError("Package.swift not found above \(#filePath)")
}()

func repoPath(_ relative: String) -> String {
    repoRoot.appendingPathComponent(relative).path
}

/// The outcome of a child process.
struct ProcessResult: CustomStringConvertible {
    let status: Int32
    let output: String      // stdout
    let errorOutput: String // stderr
    let timedOut: Bool

    var description: String {
        "status \(status)\(timedOut ? " (timed out)" : "")\n--- stdout\n\(output)\n--- stderr\n\(errorOutput)"
    }
}

/// Runs argv[0] with the rest as arguments, killing it after `timeout` s.
func run(_ argv: [String], timeout: Double = 60, environment: [String: String]? = nil) -> ProcessResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: argv[0])
    process.arguments = Array(argv.dropFirst())
    process.currentDirectoryURL = repoRoot
    if let environment {
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    }
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    do {
        try process.run()
    } catch {
        return ProcessResult(status: -1, output: "", errorOutput: "cannot run \(argv[0]): \(error)", timedOut: false)
    }
    // Drain both pipes concurrently so a chatty child cannot block on a full pipe.
    let group = DispatchGroup()
    nonisolated(unsafe) var outData = Data(), errData = Data()
    DispatchQueue.global().async(group: group) { outData = out.fileHandleForReading.readDataToEndOfFile() }
    DispatchQueue.global().async(group: group) { errData = err.fileHandleForReading.readDataToEndOfFile() }
    let deadline = Date().addingTimeInterval(timeout)
    var timedOut = false
    while process.isRunning {
        if Date() > deadline {
            timedOut = true
            process.terminate()
            usleep(200_000)
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            break
        }
        usleep(2_000)
    }
    process.waitUntilExit()
    group.wait()
    return ProcessResult(status: process.terminationStatus,
                         output: String(decoding: outData, as: UTF8.self),
                         errorOutput: String(decoding: errData, as: UTF8.self),
                         timedOut: timedOut)
}

/// Runs a shell command line (for `ip netns` set-up and the like).
@discardableResult
func sh(_ command: String, timeout: Double = 60) -> ProcessResult {
    run(["/bin/sh", "-c", command], timeout: timeout)
}

// MARK: - What the machine offers

/// Why KVM tests cannot run here, or nil when they can.
let kvmUnavailable: String? = {
    if !FileManager.default.fileExists(atPath: "/dev/kvm") {
        return "SKIPPED: /dev/kvm does not exist; the ukvm tests need KVM"
    }
    if access("/dev/kvm", R_OK | W_OK) != 0 {
        return "SKIPPED: /dev/kvm is not readable and writable by this user"
    }
    return nil
}()

/// Why network tests cannot run here, or nil when they can.
let networkUnavailable: String? = {
    if getuid() != 0 { return "SKIPPED: network tests need root (ip netns, tap devices)" }
    if !FileManager.default.fileExists(atPath: "/dev/net/tun") { return "SKIPPED: /dev/net/tun is missing" }
    if sh("command -v ip && command -v ping").status != 0 { return "SKIPPED: ip or ping is not installed" }
    return nil
}()

/// Why QEMU tests cannot run here, or nil when they can.
let qemuUnavailable: String? = {
    sh("command -v qemu-system-x86_64").status == 0
        ? nil : "SKIPPED: qemu-system-x86_64 is not installed (scripts/setup installs it)"
}()

/// Prints a loud skip reason, so a skipped test never passes silently.
func announceSkip(_ reason: String, _ test: String = #function) {
    print("*** \(test): \(reason)")
}

// MARK: - Artefacts

let monitorPath = repoPath("build/bin/ukvm")

func ukvmImage(_ name: String) -> String { repoPath("build/ukvm/\(name).ukvm") }
func virtioImage(_ name: String) -> String { repoPath("build/virtio/\(name).virtio") }

/// Boots a ukvm image on our monitor.
func ukvm(_ args: [String], timeout: Double = 60) -> ProcessResult {
    run([monitorPath] + args, timeout: timeout)
}

// MARK: - Network namespaces

/// A network namespace of the test's own, deleted on deinit. Everything
/// network-related (taps, addresses, the guest, ping) happens inside it, so
/// no test traffic can leave the machine.
final class NetNamespace {
    let name: String

    init() throws {
        name = "ukvmtest\(getpid())x\(UInt32.random(in: 0...UInt32.max))"
        let r = sh("ip netns add \(name) && ip -n \(name) link set lo up")
        guard r.status == 0 else { throw SetupError("ip netns add \(name): \(r.errorOutput)") }
    }

    /// Creates tap `tap` with `address` (CIDR) inside the namespace, up.
    func addTap(_ tap: String, address: String) throws {
        let r = sh("ip -n \(name) tuntap add dev \(tap) mode tap && " +
                   "ip -n \(name) addr add \(address) dev \(tap) && " +
                   "ip -n \(name) link set \(tap) up")
        guard r.status == 0 else { throw SetupError("tap \(tap): \(r.errorOutput)") }
    }

    /// argv run inside the namespace.
    func exec(_ argv: [String]) -> [String] {
        ["/usr/bin/env", "ip", "netns", "exec", name] + argv
    }

    deinit {
        sh("ip netns pids \(name) | xargs -r kill -9; ip netns del \(name)")
    }
}

struct SetupError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A temporary file, removed on deinit.
final class TempFile {
    let path: String
    init(size: Int, name: String = "disk") {
        path = NSTemporaryDirectory() + "ukvmtest-\(getpid())-\(UInt32.random(in: 0...UInt32.max))-\(name)"
        FileManager.default.createFile(atPath: path, contents: nil)
        truncate(path, off_t(size))
    }
    deinit { unlink(path) }
}

// MARK: - Background processes

/// A child process running in the background (a guest serving the network),
/// killed on deinit if still running. Its output (stdout and stderr) is
/// collected as it comes, so a test can wait for a line.
final class Background: @unchecked Sendable {
    let process = Process()
    private let out = Pipe()
    private let lock = NSLock()
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ argv: [String]) throws {
        process.executableURL = URL(fileURLWithPath: argv[0])
        process.arguments = Array(argv.dropFirst())
        process.currentDirectoryURL = repoRoot
        process.standardOutput = out
        process.standardError = out
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let handle = out.fileHandleForReading
        Thread.detachNewThread { [self] in
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                lock.withLock { data.append(chunk) }
            }
            done.signal()
        }
    }

    var output: String { lock.withLock { String(decoding: data, as: UTF8.self) } }

    /// Waits up to `timeout` s until the output contains `text`.
    @discardableResult
    func waitFor(_ text: String, timeout: Double = 20) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if output.contains(text) { return true }
            if !process.isRunning { return output.contains(text) }
            usleep(5_000)
        }
        return false
    }

    /// Waits up to `timeout` s for the process to exit by itself.
    func wait(timeout: Double) -> ProcessResult {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(5_000) }
        let timedOut = process.isRunning
        if timedOut { stop() }
        process.waitUntilExit()
        done.wait()
        done.signal()
        return ProcessResult(status: process.terminationStatus, output: output,
                             errorOutput: "", timedOut: timedOut)
    }

    /// Sends a signal and lets the process go in its own time.
    func signal(_ signo: Int32) {
        if process.isRunning { kill(process.processIdentifier, signo) }
    }

    /// SIGTERM, then SIGKILL if it does not go.
    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        for _ in 0..<100 where process.isRunning { usleep(10_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    deinit { stop() }
}
