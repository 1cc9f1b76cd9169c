// LargeSend.swift: our large-send extension (UKVM_HOST_FEATURE_LARGE_SEND,
// include/ukvm_ext.h): the guest writes one IPv4 TCP frame of up to 64 KiB
// of IP datagram, and the host kernel cuts it into segments of the MTU.
//
// A guest sending one MTU-sized frame per write is limited by the host's
// per-packet cost on both sides (tap write, receive, ACK); with large
// frames the host's TCP sees one packet per 64 KiB, as it does from a NIC
// with TSO or from nginx over a veth.
//
// How: a tap attached with IFF_VNET_HDR takes a struct virtio_net_hdr
// before every frame. Ordinary frames get a zeroed one (written and read
// with writev/readv around the guest's buffer: no copy); a large frame gets
// GSO_TCPV4 with the segment size, and NEEDS_CSUM so that the host fills
// each segment's TCP checksum. The frame's headers are first copied into
// the monitor's memory and checked there (ukvm_large_send_check, the rule
// the guest applies too): the guest, or another thread of it on the ring,
// cannot change what was checked before the kernel reads it. The payload
// goes from guest memory as it is: its bytes are the guest's business.
//
// The same holds for a tap inherited with the headers (ukvm-oci's, checked
// by Tap.inherit): `shared` then makes every call non-blocking on its own
// (TapCalls), as for any inherited tap.

import CKVM
import CNetIf
import Glibc

enum LargeSend {
    static let headerSize = MemoryLayout<virtio_net_hdr>.size
    static let headersMax = Int(UKVM_LARGE_SEND_HDR_MAX)

    /// A frame of `length` bytes at `frame` on a device of `mtu` passes the
    /// large-frame checks (read in place: only for a stopped vCPU).
    static func valid(_ frame: UnsafeRawPointer, length: UInt64, mtu: UInt64) -> Bool {
        var ls = ukvm_large_send()
        return ukvm_large_send_check(frame.assumingMemoryBound(to: UInt8.self), length, mtu, &ls) != 0
    }

    /// Sends a large frame to the tap `fd` (attached with virtio-net
    /// headers); returns a ukvm_result: EINVAL when the frame fails the
    /// checks (nothing is written), AGAIN when the tap is full, EUNSPEC on
    /// any other failure.
    static func send(_ fd: Int32, shared: Bool = false, frame: UnsafeRawPointer, length: UInt64, mtu: UInt64) -> Int32 {
        withUnsafeTemporaryAllocation(byteCount: headersMax, alignment: 8) { copy in
            let headers = copy.baseAddress!
            headers.copyMemory(from: frame, byteCount: Int(min(length, UInt64(headersMax))))
            var ls = ukvm_large_send()
            guard ukvm_large_send_check(headers.assumingMemoryBound(to: UInt8.self), length, mtu, &ls) != 0 else {
                return HypercallStatus.invalid
            }
            // What NEEDS_CSUM expects in the field: the pseudo-header sum.
            let at = Int(ls.csum_start) + Int(ls.csum_offset)
            headers.storeBytes(of: UInt8(ls.pseudo_sum >> 8), toByteOffset: at, as: UInt8.self)
            headers.storeBytes(of: UInt8(ls.pseudo_sum & 0xff), toByteOffset: at + 1, as: UInt8.self)
            var vh = virtio_net_hdr()
            vh.flags = UInt8(VIRTIO_NET_HDR_F_NEEDS_CSUM)
            vh.gso_type = UInt8(VIRTIO_NET_HDR_GSO_TCPV4)
            vh.hdr_len = ls.hdr_len
            vh.gso_size = ls.seg_size
            vh.csum_start = ls.csum_start
            vh.csum_offset = ls.csum_offset
            let hdrLen = Int(ls.hdr_len)
            return withUnsafeMutableBytes(of: &vh) { v in
                var iov = (iovec(iov_base: v.baseAddress, iov_len: v.count),
                           iovec(iov_base: headers, iov_len: hdrLen),
                           iovec(iov_base: UnsafeMutableRawPointer(mutating: frame + hdrLen),
                                 iov_len: Int(length) - hdrLen))
                return withUnsafePointer(to: &iov) { p in
                    p.withMemoryRebound(to: iovec.self, capacity: 3) { vectors in
                        result(expected: headerSize + Int(length)) { TapCalls.writev(fd, shared: shared, vectors, 3) }
                    }
                }
            }
        }
    }

    /// One ordinary frame to a tap with virtio-net headers: a zeroed header
    /// first. write(2)'s result, less the header.
    static func write(_ fd: Int32, shared: Bool = false, _ frame: UnsafeRawPointer, _ length: Int) -> Int {
        afterHeader(UnsafeMutableRawPointer(mutating: frame), length) { TapCalls.writev(fd, shared: shared, $0, 2) }
    }

    /// One frame from a tap with virtio-net headers into `buffer`, the
    /// header dropped (the host sends no offloads: none were asked for).
    /// read(2)'s result, less the header.
    static func read(_ fd: Int32, shared: Bool = false, _ buffer: UnsafeMutableRawPointer, _ length: Int) -> Int {
        afterHeader(buffer, length) { TapCalls.readv(fd, shared: shared, $0, 2) }
    }

    /// `call` on two vectors, a zeroed virtio-net header then `length`
    /// bytes at `data`: its result (a byte count or -1), less the header.
    private static func afterHeader(_ data: UnsafeMutableRawPointer, _ length: Int,
                                    _ call: (UnsafePointer<iovec>) -> Int) -> Int {
        var vh = virtio_net_hdr()
        return withUnsafeMutableBytes(of: &vh) { v in
            var iov = (iovec(iov_base: v.baseAddress, iov_len: v.count), iovec(iov_base: data, iov_len: length))
            let n = withUnsafePointer(to: &iov) { p in p.withMemoryRebound(to: iovec.self, capacity: 2, call) }
            return n < 0 ? n : max(0, n - v.count)
        }
    }

    /// A write's ukvm_result: OK when all `expected` bytes went.
    static func result(expected: Int, _ call: () -> Int) -> Int32 {
        while true {
            let n = call()
            if n == expected { return HypercallStatus.ok }
            if n < 0 && errno == EINTR { continue }
            if n < 0 && errno == EAGAIN { return HypercallStatus.again }
            return HypercallStatus.unspecified
        }
    }
}

// MARK: In place, for NETIO: one plain read or write, no iovec.
//
// readv and writev cost the host more than read and write of one buffer
// (about 0.1 µs a call here), and NETIO moves a frame per call. While the
// vCPU is stopped in NETIO, the guest sees none of its memory change, so
// the header can go in the 10 bytes just before the guest's buffer, which
// are saved first and put back after. Only where those bytes are guest
// memory the guest may write itself (withRoom); the ring, whose guest runs
// meanwhile, and anything else use readv and writev.
extension LargeSend {
    /// The host address of `count` bytes at `gpa` when they and the
    /// `headerSize` bytes before them are memory the guest may write (one
    /// check for both: NETIO checks every buffer of every call), else nil.
    static func withRoom(_ gpa: UInt64, count: UInt64, memory: GuestMemory) -> UnsafeMutableRawPointer? {
        let size = UInt64(headerSize)
        guard gpa >= size, case (let total, false) = count.addingReportingOverflow(size),
              let p = try? memory.pointer(gpa: gpa - size, count: total, .guestWritable) else { return nil }
        return p + headerSize
    }

    /// As write(_:_:_:) with the header in the room before `frame`; a ukvm_result.
    static func writeInPlace(_ fd: Int32, shared: Bool = false, _ frame: UnsafeMutableRawPointer, length: UInt64) -> Int32 {
        let head = frame - headerSize
        var saved = virtio_net_hdr()
        withUnsafeMutableBytes(of: &saved) { $0.baseAddress!.copyMemory(from: head, byteCount: headerSize) }
        head.initializeMemory(as: UInt8.self, repeating: 0, count: headerSize)
        let result = Self.result(expected: headerSize + Int(length)) {
            TapCalls.write(fd, shared: shared, head, headerSize + Int(length))
        }
        withUnsafeBytes(of: &saved) { head.copyMemory(from: $0.baseAddress!, byteCount: headerSize) }
        return result
    }

    /// As read(_:_:_:) with the header read into the room before `buffer`.
    static func readInPlace(_ fd: Int32, shared: Bool = false, _ buffer: UnsafeMutableRawPointer, _ length: Int) -> Int {
        let head = buffer - headerSize
        var saved = virtio_net_hdr()
        withUnsafeMutableBytes(of: &saved) { $0.baseAddress!.copyMemory(from: head, byteCount: headerSize) }
        let n = TapCalls.read(fd, shared: shared, head, headerSize + length)
        let error = errno
        withUnsafeBytes(of: &saved) { head.copyMemory(from: $0.baseAddress!, byteCount: headerSize) }
        errno = error
        return n < 0 ? n : max(0, n - headerSize)
    }
}
