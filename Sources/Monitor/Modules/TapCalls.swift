// TapCalls.swift: the system calls that move frames through a tap, chosen
// by whose file description it is. The monitor's own taps are
// non-blocking: plain read, write, readv and writev. An inherited tap's
// description is shared with whoever passed it (ukvm-oci, a runtime) and
// is never switched to non-blocking mode, so each call is made
// non-blocking on its own (preadv2 and pwritev2 with RWF_NOWAIT). Either
// way, the result is the call's: a byte count, or -1 with errno.

import CSys
import Glibc

enum TapCalls {
    @inline(__always)
    static func read(_ fd: Int32, shared: Bool, _ buffer: UnsafeMutableRawPointer, _ length: Int) -> Int {
        shared ? csys_read_nowait(fd, buffer, length) : Glibc.read(fd, buffer, length)
    }

    @inline(__always)
    static func write(_ fd: Int32, shared: Bool, _ frame: UnsafeRawPointer, _ length: Int) -> Int {
        shared ? csys_write_nowait(fd, frame, length) : Glibc.write(fd, frame, length)
    }

    @inline(__always)
    static func readv(_ fd: Int32, shared: Bool, _ vectors: UnsafePointer<iovec>, _ count: Int32) -> Int {
        shared ? csys_readv_nowait(fd, vectors, count) : Glibc.readv(fd, vectors, count)
    }

    @inline(__always)
    static func writev(_ fd: Int32, shared: Bool, _ vectors: UnsafePointer<iovec>, _ count: Int32) -> Int {
        shared ? csys_writev_nowait(fd, vectors, count) : Glibc.writev(fd, vectors, count)
    }
}
