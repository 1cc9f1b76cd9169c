// Console.swift: the monitor's own output, written with write(2).
//
// Not print(): stdio buffers, while the guest's console output (PUTS) goes
// straight to fd 1, so buffered monitor lines could appear out of order.

import Glibc

enum Console {
    /// Writes all of `bytes` to `fd`, retrying on partial writes and on EINTR
    /// (unless a stop signal is pending: a full pipe must not keep the
    /// monitor from stopping). Returns 0 on success, else the errno.
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int32 {
        guard var next = bytes.baseAddress else { return 0 }
        var left = bytes.count
        while left > 0 {
            let n = Glibc.write(fd, next, left)
            if n < 0 {
                let e = errno
                if e == EINTR && Signals.caught == 0 { continue }
                return e
            }
            if n == 0 { return EIO }
            next += n
            left -= n
        }
        return 0
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
        text.withUTF8 { _ = writeAll(fd, UnsafeRawBufferPointer($0)) }
    }

    private static func emit(_ fd: Int32, _ line: String) {
        var text = line
        text.append("\n")
        text.withUTF8 { _ = writeAll(fd, UnsafeRawBufferPointer($0)) }
    }
}
