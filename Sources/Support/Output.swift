// Output.swift: writing all of a buffer with write(2), for the tools that
// print without the monitor's console (solo5-elftool). The monitor's own
// console (Monitor/Run/Console.swift) also waits in ppoll for its signals.

import Glibc

package enum Output {
    /// Writes all of `bytes` to `fd`, again after EINTR. Returns 0 or the
    /// errno of the failed write.
    package static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int32 {
        guard var next = bytes.baseAddress else { return 0 }
        var left = bytes.count
        while left > 0 {
            let n = Glibc.write(fd, next, left)
            if n < 0 {
                if errno == EINTR { continue }
                return errno
            }
            next += n
            left -= n
        }
        return 0
    }

    /// Writes `text` to `fd`; a failure is ignored (nowhere to report it).
    package static func write(_ fd: Int32, _ text: String) {
        var text = text
        _ = text.withUTF8 { writeAll(fd, UnsafeRawBufferPointer($0)) }
    }
}
