// GDBConnection.swift: the TCP side of the stub: listening on the loopback
// address only, one connection, and its reads and writes.
//
// Reads and writes go through read(2)/write(2) on the one descriptor, so a
// sandbox that admits I/O per descriptor admits them. Every wait is a
// ppoll with the waits' signal mask (Signals.swift): the stop signals
// (SIGTERM, SIGINT, SIGHUP), blocked elsewhere, end it at once. A write
// that cannot progress for `sendTimeout` seconds (a peer that stopped
// reading) ends the connection instead of holding the monitor.

import CSys
import Glibc
import Support

final class GDBConnection {
    /// The connected socket, or -1 once closed.
    private(set) var fd: Int32
    /// Bytes read but not yet taken.
    private var buffer: [UInt8] = []
    private var next = 0
    private var reader = GDBPacketReader(limit: GDBServer.packetSize)
    static let sendTimeout = 10

    /// Why the connection ended.
    enum End: Error, Equatable, CustomStringConvertible {
        case closed              // the peer closed it
        case failed(String)      // an I/O error
        case signal(Int32)       // a stop signal arrived

        var description: String {
            switch self {
            case .closed: return "the connection was closed"
            case .failed(let why): return why
            case .signal(let signo): return "stopped by signal \(signo)"
            }
        }
    }

    private init(fd: Int32) {
        self.fd = fd
    }

    deinit { close() }

    /// A socket listening on 127.0.0.1:`port` (0: the kernel picks one),
    /// and the port it got.
    static func listen(port: UInt16) throws(MonitorError) -> (fd: Int32, port: UInt16) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .debugger("--gdb: socket: \(errnoText(errno))") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian   // 127.0.0.1
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, Glibc.listen(fd, 1) == 0 else {
            let e = errno
            Glibc.close(fd)
            throw .debugger("--gdb: cannot listen on 127.0.0.1:\(port): \(errnoText(e))")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return (fd, UInt16(bigEndian: address.sin_port))
    }

    /// Waits for one connection on `listener`, then closes the listener.
    static func accept(_ listener: Int32) throws(End) -> GDBConnection {
        defer { Glibc.close(listener) }
        while true {
            _ = try wait(listener, for: POLLIN, seconds: nil)
            let fd = Glibc.accept(listener, nil, nil)
            if fd >= 0 {
                _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
                var one: Int32 = 1
                setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
                var timeout = timeval(tv_sec: sendTimeout, tv_usec: 0)
                setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                return GDBConnection(fd: fd)
            }
            let e = errno
            if Signals.caught != 0 { throw .signal(Signals.caught) }
            if e != EINTR && e != ECONNABORTED { throw .failed("accept: \(errnoText(e))") }
        }
    }

    /// The next event from the peer, waiting for it.
    func receive() throws(End) -> GDBInput {
        while true {
            if let event = takeBuffered() { return event }
            try fill(wait: true)
        }
    }

    /// The next event if the bytes for it have arrived; never waits.
    func poll() throws(End) -> GDBInput? {
        if let event = takeBuffered() { return event }
        guard readable() else { return nil }
        try fill(wait: false)
        return takeBuffered()
    }

    /// Whether bytes (or the end of the stream) are waiting.
    func readable() -> Bool {
        if next < buffer.count { return true }
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        var now = timespec(tv_sec: 0, tv_nsec: 0)
        return csys_ppoll_mask(&p, 1, &now, nil) > 0
    }

    /// Waits until `fd` has `events` (true) or `seconds` pass (false; nil:
    /// no limit), admitting the stop signals meanwhile.
    private static func wait(_ fd: Int32, for events: Int32, seconds: Int?) throws(End) -> Bool {
        var p = pollfd(fd: fd, events: Int16(events), revents: 0)
        var limit = timespec(tv_sec: seconds ?? 0, tv_nsec: 0)
        while true {
            let n = withUnsafePointer(to: &limit) { t in
                csys_ppoll_mask(&p, 1, seconds == nil ? nil : t, Signals.waitMask)
            }
            if n > 0 { return true }
            if n == 0 { return false }
            let e = errno
            if Signals.caught != 0 { throw .signal(Signals.caught) }
            if e != EINTR { throw .failed("ppoll: \(errnoText(e))") }   // EINTR: SIGIO; again
        }
    }

    /// Writes all of `bytes`.
    func send(_ bytes: [UInt8]) throws(End) {
        var sent = 0
        while sent < bytes.count {
            guard try GDBConnection.wait(fd, for: POLLOUT, seconds: GDBConnection.sendTimeout) else {
                throw .failed("the debugger stopped reading")
            }
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + sent, bytes.count - sent) }
            if n > 0 {
                sent += n
                continue
            }
            let e = errno
            if Signals.caught != 0 { throw .signal(Signals.caught) }
            if n < 0 && e == EINTR { continue }
            throw .failed(n < 0 && (e == EAGAIN || e == EWOULDBLOCK)
                ? "the debugger stopped reading" : "write: \(errnoText(e))")
        }
    }

    func close() {
        if fd >= 0 {
            Glibc.close(fd)
            fd = -1
        }
    }

    private func takeBuffered() -> GDBInput? {
        while next < buffer.count {
            let byte = buffer[next]
            next += 1
            if let event = reader.feed(byte) { return event }
        }
        return nil
    }

    private func fill(wait: Bool) throws(End) {
        buffer.removeAll(keepingCapacity: true)
        next = 0
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            if wait { _ = try GDBConnection.wait(fd, for: POLLIN, seconds: nil) }
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n > 0 {
                buffer += chunk[0..<n]
                return
            }
            if n == 0 { throw .closed }
            let e = errno
            if Signals.caught != 0 { throw .signal(Signals.caught) }
            if e == EINTR { continue }
            if !wait && (e == EAGAIN || e == EWOULDBLOCK) { return }
            throw .failed("read: \(errnoText(e))")
        }
    }
}
