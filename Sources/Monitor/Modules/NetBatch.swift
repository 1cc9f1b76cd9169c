// NetBatch.swift: the NETIO hypercall, our batched network I/O extension
// (include/ukvm_ext.h): in one exit, send tx_count frames, receive up to rx_count
// frames from any attached network device, and if none arrived wait up to
// timeout_nsecs for one. Under PVM one exit costs tens of microseconds, so
// a request/response loop then costs one exit instead of three or more.
//
// The whole request is checked before anything is sent or received; a
// malformed one gets EINVAL. The argument struct itself must lie in guest
// memory, else it is a guest fault (as for every hypercall).

import CKVM
import Glibc

/// NETIO's state: the attached devices and the descriptor copies, made once.
final class NetBatch {
    /// By handle, as in NetModule.
    private let slots: [NetModule.Slot]
    /// The handles of the attached devices, in handle order.
    private let handles: [Int]
    private let wait: DeviceWait
    /// An rx buffer must hold a frame of any device: ukvm_net_rx_min of the
    /// largest MTU.
    private let rxMinimum: UInt64
    /// After receive(): the devices (bit = handle) not read dry, which may
    /// hold more frames. Saves a poll per call to find out.
    private var notDrained: UInt64 = 0
    /// The monitor's own copies of the request's descriptors. They are
    /// checked, then used; the guest's arrays are only written back to.
    /// Reading them again would be unsafe: a received frame may land on
    /// them (the guest chooses the buffers) and rewrite a checked pointer.
    private let txFrames: UnsafeMutableBufferPointer<ukvm_netio_frame>
    private let rxFrames: UnsafeMutableBufferPointer<ukvm_netio_frame>
    /// The host addresses of the frames, from the checked guest accessor.
    private let txData: UnsafeMutableBufferPointer<UnsafeMutableRawPointer>
    private let rxData: UnsafeMutableBufferPointer<UnsafeMutableRawPointer>
    /// Whether the bytes just before each frame are guest memory the guest
    /// may write: room for a tap's virtio-net header (LargeSend's in-place
    /// reads and writes).
    private let txRoom: UnsafeMutableBufferPointer<Bool>
    private let rxRoom: UnsafeMutableBufferPointer<Bool>
    /// Some device has virtio-net headers: rx buffers get room checked.
    private let anyVnet: Bool

    static let maxFrames = UInt32(UKVM_NETIO_MAX_FRAMES)
    static let frameSize = MemoryLayout<ukvm_netio_frame>.size
    // Offsets in struct ukvm_netio_frame of the fields the monitor writes.
    private static let handleOffset = MemoryLayout<ukvm_netio_frame>.offset(of: \.handle)!
    private static let lengthOffset = MemoryLayout<ukvm_netio_frame>.offset(of: \.len)!
    private static let resultOffset = MemoryLayout<ukvm_netio_frame>.offset(of: \.ret)!

    init(slots: [NetModule.Slot], wait: DeviceWait) {
        self.slots = slots
        self.wait = wait
        handles = slots.indices.filter { slots[$0].fd >= 0 }
        rxMinimum = ukvm_net_rx_min(handles.map { slots[$0].mtu }.max() ?? 0)
        anyVnet = handles.contains { slots[$0].vnet }
        let n = Int(NetBatch.maxFrames)
        txFrames = .allocate(capacity: n)
        rxFrames = .allocate(capacity: n)
        txData = .allocate(capacity: n)
        rxData = .allocate(capacity: n)
        txRoom = .allocate(capacity: n)
        rxRoom = .allocate(capacity: n)
    }

    deinit {
        txFrames.deallocate()
        rxFrames.deallocate()
        txData.deallocate()
        rxData.deallocate()
        txRoom.deallocate()
        rxRoom.deallocate()
    }

    /// Carries out one NETIO request, filling in its OUT fields.
    func exchange(_ hc: inout ukvm_hc_netio, memory: GuestMemory) {
        hc.rx_filled = 0
        hc.ready_set = 0
        let size = UInt64(NetBatch.frameSize)
        let txCount = Int(min(hc.tx_count, NetBatch.maxFrames)), rxCount = Int(min(hc.rx_count, NetBatch.maxFrames))
        guard hc.tx_count <= NetBatch.maxFrames, hc.rx_count <= NetBatch.maxFrames,
              let tx = try? memory.pointer(gpa: hc.tx, count: UInt64(txCount) * size, .guestWritable),
              let rx = try? memory.pointer(gpa: hc.rx, count: UInt64(rxCount) * size, .guestWritable)
        else {
            hc.ret = HypercallStatus.invalid
            return
        }
        copy(from: tx, count: txCount, to: txFrames)
        copy(from: rx, count: rxCount, to: rxFrames)
        guard valid(txCount: txCount, rxCount: rxCount, memory: memory) else {
            hc.ret = HypercallStatus.invalid
            return
        }
        for i in 0..<txCount {
            let result = send(i)
            tx.storeBytes(of: result, toByteOffset: i * NetBatch.frameSize + NetBatch.resultOffset, as: Int32.self)
        }
        var filled = receive(count: rxCount)
        if filled == 0 && hc.timeout_nsecs > 0 {
            // Polls the taps (DeviceWait's spin, then sleep), then reads.
            _ = wait.wait(timeout: hc.timeout_nsecs)
            filled = receive(count: rxCount)
        }
        for i in 0..<filled {
            let at = i * NetBatch.frameSize
            rx.storeBytes(of: rxFrames[i].handle, toByteOffset: at + NetBatch.handleOffset, as: UInt64.self)
            rx.storeBytes(of: rxFrames[i].len, toByteOffset: at + NetBatch.lengthOffset, as: UInt64.self)
        }
        hc.rx_filled = UInt32(filled)
        // Devices not read dry may hold more; the others were empty just now.
        // With no buffers to read into, nothing was read: ask the taps.
        hc.ready_set = rxCount > 0 ? notDrained : wait.ready().set
        hc.ret = HypercallStatus.ok
    }

    private func copy(from guest: UnsafeMutableRawPointer, count: Int,
                      to frames: UnsafeMutableBufferPointer<ukvm_netio_frame>) {
        for i in 0..<count {
            frames[i] = guest.loadUnaligned(fromByteOffset: i * NetBatch.frameSize, as: ukvm_netio_frame.self)
        }
    }

    /// Every tx frame: an attached device, 1 to ukvm_net_tx_max(mtu) bytes
    /// the guest may read, or a large frame that passes its checks (when
    /// offered, LargeSend); every rx buffer: rxMinimum bytes or more the guest
    /// may write. Records the frames' host addresses in txData and rxData.
    private func valid(txCount: Int, rxCount: Int, memory: GuestMemory) -> Bool {
        for (i, f) in txFrames.prefix(txCount).enumerated() {
            guard let s = NetModule.Slot.attached(slots, f.handle), f.len > 0, f.len <= s.maxFrame else { return false }
            let room = s.vnet ? LargeSend.withRoom(f.data, count: f.len, memory: memory) : nil
            guard let p = room ?? (try? memory.pointer(gpa: f.data, count: f.len, .guestReadable)) else { return false }
            // The vCPU is stopped: the frame cannot change before it is sent
            // (and send() checks its own copy of the headers again).
            if f.len > ukvm_net_tx_max(s.mtu) && !LargeSend.valid(p, length: f.len, mtu: s.mtu) { return false }
            txData[i] = p
            txRoom[i] = room != nil
        }
        for (i, f) in rxFrames.prefix(rxCount).enumerated() {
            guard f.len >= rxMinimum else { return false }
            let room = anyVnet ? LargeSend.withRoom(f.data, count: f.len, memory: memory) : nil
            guard let p = room ?? (try? memory.pointer(gpa: f.data, count: f.len, .guestWritable)) else { return false }
            rxData[i] = p
            rxRoom[i] = room != nil
        }
        return true
    }

    /// Writes checked tx frame i to its tap; returns its ukvm_result.
    private func send(_ i: Int) -> Int32 {
        let f = txFrames[i]
        let slot = slots[Int(f.handle)]
        if slot.vnet && txRoom[i] && f.len <= ukvm_net_tx_max(slot.mtu) {
            return LargeSend.writeInPlace(slot.fd, txData[i], length: f.len)
        }
        return NetModule.write(slot, frame: txData[i], length: f.len)
    }

    /// Reads frames into the checked rx buffers, taking the devices in turn,
    /// until the buffers run out or every device is empty. Returns how many,
    /// sets their handle and len in rxFrames, and leaves in `notDrained` the
    /// devices (by handle) it did not read dry.
    private func receive(count: Int) -> Int {
        var filled = 0
        var empty: UInt64 = 0   // bit i: device i (in `handles`) has nothing left
        defer {
            notDrained = 0
            for (i, h) in handles.enumerated() where empty & (1 << UInt64(i)) == 0 {
                notDrained |= 1 << UInt64(h)
            }
        }
        let all: UInt64 = handles.count == 64 ? ~0 : (1 << UInt64(handles.count)) - 1
        while filled < count && empty != all {
            for (i, h) in handles.enumerated() where filled < count && empty & (1 << UInt64(i)) == 0 {
                let slot = slots[h], length = Int(rxFrames[filled].len)
                let n = slot.vnet && rxRoom[filled] ? LargeSend.readInPlace(slot.fd, rxData[filled], length)
                                                    : slot.read(rxData[filled], length)
                if n > 0 {
                    rxFrames[filled].handle = UInt64(h)
                    rxFrames[filled].len = UInt64(n)
                    filled += 1
                } else if !(n < 0 && errno == EINTR) {
                    empty |= 1 << UInt64(i)   // EAGAIN, or an error: stop reading it now
                }
            }
        }
        return filled
    }
}
