// Console.swift: the monitor's own output and the guest's (PUTS), written
// with write(2).
//
// Not print(): stdio buffers, while the guest's console output (PUTS) goes
// straight to fd 1, so buffered monitor lines could appear out of order.
//
// A console may be a pipe nobody reads. A write then waits in ppoll, which
// admits the stop signals (Signals.swift), and each write(2) is at most
// PIPE_BUF bytes, which a pipe that polls writable takes without blocking:
// so a stop signal always ends a stuck console write.

import CSys
import Glibc

enum Console {
    /// The most one write(2) writes: a pipe that polls writable has room for it.
    static let chunk = Int(PIPE_BUF)

    /// The console's calls: write on stdout (the guest's output) and stderr
    /// (the monitor's lines), and ppoll before each write.
    static let sandboxNeeds: SandboxNeeds =
        .calls([.write], on: [1, 2], why: "console") + .call(.ppoll, why: "console: wait until writable")

    /// Writes all of `bytes` to `fd`. Gives up with EINTR when a stop
    /// signal arrives during the write, or, with `whilePending` false (the
    /// guest's output), as soon as one is pending: the run loop acts on it.
    /// The monitor's own lines pass true: the last one is written after a
    /// stop signal was recorded. Without `waiting` (the guest's last output
    /// at a stop: ConsoleBuffer), it writes only what `fd` takes at once and
    /// gives up with EAGAIN, so that a stuck console cannot hold the monitor.
    /// Returns 0 on success, EINTR, EAGAIN, or the errno of the failed write.
    @discardableResult
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, whilePending: Bool = false,
                         waiting: Bool = true) -> Int32 {
        writeCounting(fd, bytes, whilePending: whilePending, waiting: waiting).error
    }

    /// `writeAll`, and how many of the bytes went out before it returned:
    /// all of them on success, fewer when it gave up, so that a caller who
    /// writes the rest later does not write the first part twice.
    static func writeCounting(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, whilePending: Bool = false,
                              waiting: Bool = true) -> (error: Int32, written: Int) {
        guard let start = bytes.baseAddress else { return (0, 0) }
        var done = 0
        var now = timespec()
        while done < bytes.count {
            if !whilePending && Signals.caught != 0 { return (EINTR, done) }
            var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            // Only the stop signals have handlers the waits admit, so only
            // they interrupt; a write that cannot wait admits none.
            let ready = waiting ? csys_ppoll_mask(&p, 1, nil, Signals.waitMask) : csys_ppoll_mask(&p, 1, &now, nil)
            if ready < 0 { return (errno, done) }
            if ready == 0 { return (EAGAIN, done) }
            let n = Glibc.write(fd, start + done, min(bytes.count - done, chunk))
            if n < 0 {
                let e = errno
                if e == EINTR || (e == EAGAIN && waiting) { continue }
                return (e, done)
            }
            if n == 0 { return (EIO, done) }
            done += n
        }
        return (0, done)
    }

    /// One line on stdout (e.g. "Providing disk: ...").
    static func out(_ line: String) {
        emit(1, line)
    }

    /// The prefix of our lines on stderr: "ukvm", or the name a driver
    /// invoked us by (Personality.swift). Set once, before anything prints.
    nonisolated(unsafe) static var programName = "ukvm"

    /// "ukvm: MESSAGE" on stderr.
    static func error(_ message: String) {
        emit(2, programName + ": " + message)
    }

    /// Text as it is, on stdout (fd 1) or stderr (fd 2).
    static func write(_ fd: Int32, _ text: String) {
        var text = text
        text.withUTF8 { _ = writeAll(fd, UnsafeRawBufferPointer($0), whilePending: true) }
    }

    private static func emit(_ fd: Int32, _ line: String) {
        var text = line
        text.append("\n")
        text.withUTF8 { _ = writeAll(fd, UnsafeRawBufferPointer($0), whilePending: true) }
    }
}
