// ConsoleTests.swift: the console's writes report how far they got, so
// that text written in part is not written again.

import Glibc
@testable import Monitor
import Testing

@Suite struct ConsoleTests {
    /// A pipe with room for one chunk takes one chunk of three; the write
    /// that may not wait gives up with EAGAIN and says it wrote that much.
    @Test func writeThatCannotWaitSaysHowFarItGot() {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer { for fd in fds { close(fd) } }
        let chunk = Console.chunk
        var page = [UInt8](repeating: 0x61, count: chunk)
        // Fill the pipe, then make room for exactly one chunk.
        let flags = fcntl(fds[1], F_GETFL)
        #expect(fcntl(fds[1], F_SETFL, flags | O_NONBLOCK) == 0)
        while write(fds[1], &page, chunk) == chunk {}
        #expect(errno == EAGAIN)
        #expect(fcntl(fds[1], F_SETFL, flags) == 0)
        #expect(read(fds[0], &page, chunk) == chunk)

        let text = [UInt8](repeating: 0x62, count: 3 * chunk)
        let r = text.withUnsafeBytes { Console.writeCounting(fds[1], $0, whilePending: true, waiting: false) }
        #expect(r.error == EAGAIN && r.written == chunk, "\(r)")
        // And with room for all of it, all of it.
        var empty: [Int32] = [0, 0]
        #expect(pipe(&empty) == 0)
        defer { for fd in empty { close(fd) } }
        let all = text.withUnsafeBytes { Console.writeCounting(empty[1], $0, whilePending: true, waiting: false) }
        #expect(all.error == 0 && all.written == text.count, "\(all)")
    }
}
