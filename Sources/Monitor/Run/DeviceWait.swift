// DeviceWait.swift: waiting for network devices to become readable, for
// POLL (Core) and NETIO (Net) alike.
//
// A wait that finds nothing first polls for a short while, then sleeps.
// Waking a sleeping thread costs tens of microseconds on a virtualized host,
// more than the next frame of a busy request/response stream takes to
// arrive; like KVM's halt polling, a short spin saves that.

import CKVM
import Glibc

final class DeviceWait {
    /// How long a wait polls before it sleeps.
    static let spinNanoseconds: UInt64 = 50_000

    private let fds: UnsafeMutableBufferPointer<pollfd>
    private let handles: [Int]

    var isEmpty: Bool { handles.isEmpty }

    /// Watches `devices` (the attached network devices).
    init(_ devices: [PollDescriptor]) {
        fds = .allocate(capacity: devices.count)
        for (i, d) in devices.enumerated() {
            fds[i] = pollfd(fd: d.fd, events: Int16(POLLIN), revents: 0)
        }
        handles = devices.map(\.handle)
    }

    deinit { fds.deallocate() }

    /// The devices readable now: (ready set, bit = handle; how many).
    func ready() -> (set: UInt64, count: Int32) {
        poll(timeout: 0)
    }

    /// Waits up to `timeout` ns for a device to become readable, polling for
    /// the first `spin` ns. With no devices it just sleeps. A stop signal
    /// (EINTR) ends the wait with nothing ready; the run loop acts on it.
    func wait(timeout: UInt64, spin: UInt64 = DeviceWait.spinNanoseconds) -> (set: UInt64, count: Int32) {
        let spin = isEmpty ? 0 : min(spin, timeout)
        if spin > 0 {
            let start = DeviceWait.monotonicNanoseconds()
            repeat {
                let r = ready()
                if r.count > 0 { return r }
            } while DeviceWait.monotonicNanoseconds() &- start < spin
        }
        return poll(timeout: timeout - spin)
    }

    private func poll(timeout: UInt64) -> (set: UInt64, count: Int32) {
        // Seconds are clamped so that any u64 of nanoseconds is a valid timespec.
        let seconds = min(timeout / 1_000_000_000, UInt64(Int32.max))
        var ts = timespec(tv_sec: Int(seconds), tv_nsec: Int(timeout % 1_000_000_000))
        guard ckvm_ppoll(fds.baseAddress, UInt(fds.count), &ts) > 0 else { return (0, 0) }
        var set: UInt64 = 0
        var count: Int32 = 0
        for i in 0..<fds.count where fds[i].revents & Int16(POLLIN) != 0 {
            set |= 1 << UInt64(handles[i])
            count += 1
        }
        return (set, count)
    }

    static func monotonicNanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }
}
