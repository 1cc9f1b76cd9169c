// HookRunner.swift: running hooks as the runtime spec and runc do: each
// one a program spawned with the container's state JSON on its stdin, its
// own argv and exactly its own environment, killed when its timeout
// passes; its stdout and stderr are collected for the error message. The
// hooks of one point run in order, and the first failure stops them.
//
// A hook runs in the namespaces of the process that spawns it: `create`,
// `start` and `delete` (the runtime's) or the container process (its
// network namespace: createContainer and startContainer).

import COCI
import Glibc
import JSON
import Monitor

enum HookRunner {
    /// What a hook's failure says at most of its output.
    static let outputLimit = 4096

    /// Runs every hook of `point` with `state` on stdin. A failure of a
    /// fatal point throws; of the others it is logged and the rest run.
    static func run(_ hooks: Hooks, _ point: Hooks.Point, state: JSON, log: RuntimeLog) throws(OCIError) {
        let input = Array(state.serialized.utf8)
        for (i, hook) in hooks[point].enumerated() {
            do throws(OCIError) {
                try run(hook, input: input)
            } catch {
                let message = "\(point.rawValue) hook #\(i) (\(hook.path)): \(error.message)"
                guard point.isFatal else {
                    log.warning(message)
                    continue
                }
                throw OCIError(message)
            }
        }
    }

    /// Runs one hook to its end (or its timeout); throws unless it exits 0.
    static func run(_ hook: Hook, input: [UInt8]) throws(OCIError) {
        let previous = signal(SIGPIPE, SIG_IGN)
        defer { signal(SIGPIPE, previous) }
        var stdinPipe: [Int32] = [0, 0], outPipe: [Int32] = [0, 0]
        guard coci_pipe(&stdinPipe) == 0 else { throw .system("pipe", errno: errno) }
        guard coci_pipe(&outPipe) == 0 else {
            close(stdinPipe[0]); close(stdinPipe[1])
            throw .system("pipe", errno: errno)
        }
        let pid: pid_t
        do throws(OCIError) {
            pid = try spawn(hook, stdin: stdinPipe[0], output: outPipe[1])
        } catch {
            for fd in stdinPipe + outPipe { close(fd) }
            throw error
        }
        close(stdinPipe[0])
        close(outPipe[1])
        let (output, timedOut) = exchange(pid: pid, input: input, stdin: stdinPipe[1], output: outPipe[0],
                                          timeout: hook.timeout)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let text = summary(output)
        if timedOut { throw OCIError("timed out after \(hook.timeout ?? 0) s" + text) }
        if status & 0x7f != 0 { throw OCIError("killed by signal \(status & 0x7f)" + text) }
        let code = (status >> 8) & 0xff
        if code != 0 { throw OCIError("exit status \(code)" + text) }
    }

    /// posix_spawn with the hook's argv and environment; its signals at
    /// their defaults and unblocked whatever the spawning process has.
    private static func spawn(_ hook: Hook, stdin: Int32, output: Int32) throws(OCIError) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stdin, 0)
        posix_spawn_file_actions_adddup2(&actions, output, 1)
        posix_spawn_file_actions_adddup2(&actions, output, 2)
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var defaults = sigset_t(), empty = sigset_t()
        sigfillset(&defaults)
        sigemptyset(&empty)
        posix_spawnattr_setsigdefault(&attr, &defaults)
        posix_spawnattr_setsigmask(&attr, &empty)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        var argv = hook.argv.map { strdup($0) } + [nil]
        var env = hook.env.map { strdup($0) } + [nil]
        defer { for p in argv + env { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, hook.path, &actions, &attr, &argv, &env)
        guard rc == 0 else { throw .system("cannot run it", errno: rc) }
        return pid
    }

    /// Feeds `input` to the hook's stdin and collects its output until it
    /// closes it, or until the timeout, when the hook is killed. Polling
    /// both pipes: a hook that does not read its stdin cannot block us.
    private static func exchange(pid: pid_t, input: [UInt8], stdin: Int32, output: Int32,
                                 timeout: Int?) -> (output: [UInt8], timedOut: Bool) {
        var collected: [UInt8] = []
        var written = 0
        var inFD: Int32 = stdin
        _ = fcntl(stdin, F_SETFL, O_NONBLOCK)
        let deadline = timeout.map { monotonicSeconds() + Double($0) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        if input.isEmpty { close(inFD); inFD = -1 }
        while true {
            var fds = [pollfd(fd: output, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: inFD, events: Int16(POLLOUT), revents: 0)]
            let wait = deadline.map { Int32(max(0, ($0 - monotonicSeconds()) * 1000)) } ?? -1
            let n = poll(&fds, inFD >= 0 ? 2 : 1, wait)
            if n < 0 && errno == EINTR { continue }
            if n == 0 {
                kill(pid, SIGKILL)
                if inFD >= 0 { close(inFD) }
                close(output)
                return (collected, true)
            }
            if inFD >= 0 && fds[1].revents != 0 {
                let w = input[written...].withUnsafeBytes { write(inFD, $0.baseAddress, $0.count) }
                if w > 0 { written += w }
                if w < 0 && errno != EAGAIN && errno != EINTR || written == input.count {
                    close(inFD)
                    inFD = -1
                }
            }
            if fds[0].revents != 0 {
                let r = read(output, &buffer, buffer.count)
                if r < 0 && (errno == EINTR || errno == EAGAIN) { continue }
                if r <= 0 { break }
                if collected.count < outputLimit { collected += buffer[..<min(r, outputLimit - collected.count)] }
            }
        }
        if inFD >= 0 { close(inFD) }
        close(output)
        return (collected, false)
    }

    private static func monotonicSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// The hook's output on one line, for the error message.
    static func summary(_ output: [UInt8]) -> String {
        let lines = String(decoding: output, as: UTF8.self).split(whereSeparator: { $0 == "\n" || $0 == "\r" })
            .map { $0.trimmingSpaces }.filter { !$0.isEmpty }
        return lines.isEmpty ? "" : ": " + lines.joined(separator: "; ")
    }
}

extension Substring {
    fileprivate var trimmingSpaces: String {
        String(self.drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" })
            .reversed())
    }
}
