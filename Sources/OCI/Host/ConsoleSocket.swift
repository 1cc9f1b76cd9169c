// ConsoleSocket.swift: process.terminal. The caller (the shim) listens on
// --console-socket for the master end of a new pseudo-terminal (sent with
// SCM_RIGHTS); the container process gets the slave end as its stdin,
// stdout, stderr and controlling terminal, so the guest's console is the
// terminal.

import COCI
import Glibc

enum ConsoleSocket {
    /// Creates the pty and sends its master to `socketPath`; returns the
    /// slave fd.
    static func sendMaster(to socketPath: String) throws(OCIError) -> Int32 {
        var master: Int32 = -1, slave: Int32 = -1
        guard coci_open_pty(&master, &slave) == 0 else { throw .system("cannot open a pty", errno: errno) }
        defer { close(master) }
        let sock = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard sock >= 0 else {
            close(slave)
            throw .system("socket", errno: errno)
        }
        defer { close(sock) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(socketPath.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else {
            close(slave)
            throw OCIError("--console-socket \(socketPath): path too long")
        }
        withUnsafeMutableBytes(of: &addr.sun_path) { dst in
            for (i, b) in bytes.enumerated() { dst[i] = b }
        }
        let ok = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(sock, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard ok == 0, coci_send_fd(sock, master, "/dev/ptmx") == 0 else {
            let e = errno
            close(slave)
            throw .system("--console-socket \(socketPath)", errno: e)
        }
        return slave
    }

    /// Makes `slave` the calling process's terminal and stdio (after setsid).
    static func adopt(slave: Int32) {
        _ = coci_set_controlling_tty(slave)
        for fd: Int32 in 0...2 { dup2(slave, fd) }
        if slave > 2 { close(slave) }
    }
}
