// DeviceWait.swift: waiting for network devices to become readable, or for
// a deadline, for POLL (Core) and NETIO (Net) alike.
//
// A wait that finds nothing first polls for a short while, then sleeps.
// Waking a sleeping thread costs tens of microseconds on a virtualized host,
// more than the next frame of a busy request/response stream takes to
// arrive; like KVM's halt polling, a short spin saves that.
//
// The sleep ends at a timerfd, not at ppoll's timeout: the kernel lets a
// ppoll timeout run late by 0.1 % of its length (1 ms on a 1 s sleep,
// whatever the timer slack), a timerfd fires on time. Every ppoll admits
// the stop signals atomically (Signals.swift), so a stop signal ends the
// spin or the sleep, whenever it arrives.

import CSys
import Glibc
import Support

final class DeviceWait {
    /// How long a wait polls before it sleeps.
    static let spinNanoseconds: UInt64 = 50_000
    /// The longest sleep: Int32.max seconds.
    static let longest = UInt64(Int32.max) * 1_000_000_000

    /// The devices' pollfds, then the timer's.
    private let fds: UnsafeMutableBufferPointer<pollfd>
    private let handles: [Int]
    /// The timerfd that ends a sleep.
    let timer: Int32

    var isEmpty: Bool { handles.isEmpty }

    /// The descriptors the wait uses: the devices' and its timer.
    var descriptors: [Int32] { Array(fds.map { $0.fd }) }

    /// The wait's calls: ppoll (its arguments are pointers: nothing to
    /// test), the timer, and the monotonic clock of the spin (the vDSO, or
    /// the system call where the clock source has no vDSO support).
    var sandboxNeeds: SandboxNeeds {
        .call(.ppoll, why: "device wait, console")
            + .calls([.timerfdSettime], on: [timer], why: "device wait: the deadline")
            + SandboxNeeds([SandboxRule(.clockGettime, [ArgumentTest(0, .equals32(UInt32(CLOCK_MONOTONIC)))],
                                        why: "device wait: the spin")])
    }

    /// Watches `devices` (the attached network devices).
    init(_ devices: [PollDescriptor]) throws(MonitorError) {
        timer = csys_timerfd_create()
        guard timer >= 0 else { throw .setup("timerfd_create: \(errnoText(errno))") }
        fds = .allocate(capacity: devices.count + 1)
        for (i, d) in devices.enumerated() {
            fds[i] = pollfd(fd: d.fd, events: Int16(POLLIN), revents: 0)
        }
        fds[devices.count] = pollfd(fd: timer, events: Int16(POLLIN), revents: 0)
        handles = devices.map { $0.handle }
    }

    deinit {
        fds.deallocate()
        close(timer)
    }

    /// The devices readable now: (ready set, bit = handle; how many).
    func ready() -> (set: UInt64, count: Int32) {
        var now = timespec(tv_sec: 0, tv_nsec: 0)
        return poll(&now, including: 0)
    }

    /// Waits up to `timeout` ns for a device to become readable, polling for
    /// the first `spin` ns. With no devices it just sleeps. A stop signal
    /// ends the wait with nothing ready; the run loop acts on it.
    func wait(timeout: UInt64, spin: UInt64 = DeviceWait.spinNanoseconds) -> (set: UInt64, count: Int32) {
        let spin = isEmpty ? 0 : min(spin, timeout)
        if spin > 0 {
            let start = DeviceWait.monotonicNanoseconds()
            repeat {
                let r = ready()
                if r.count > 0 || Signals.caught != 0 { return r }
            } while DeviceWait.monotonicNanoseconds() &- start < spin
        }
        return sleep(timeout - spin)
    }

    /// Sleeps `ns` at most (on the timer), until a device is readable or a
    /// stop signal arrives.
    private func sleep(_ ns: UInt64) -> (set: UInt64, count: Int32) {
        if Signals.caught != 0 { return (0, 0) }
        // 0 would disarm the timer: that is a poll, not a sleep. Beyond 68
        // years is forever enough.
        guard ns > 0, csys_timerfd_arm(timer, min(ns, DeviceWait.longest)) == 0 else { return ready() }
        return poll(nil, including: 1)
    }

    /// ppoll over the devices (and `extra` more pollfds: the timer) with
    /// `timeout` (nil: none), admitting the stop signals; the devices
    /// readable afterwards.
    private func poll(_ timeout: UnsafePointer<timespec>?, including extra: Int) -> (set: UInt64, count: Int32) {
        let n = handles.count + extra
        guard csys_ppoll_mask(fds.baseAddress, UInt(n), timeout, Signals.waitMask) > 0 else { return (0, 0) }
        var set: UInt64 = 0
        var count: Int32 = 0
        for i in 0..<handles.count where fds[i].revents & Int16(POLLIN) != 0 {
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
