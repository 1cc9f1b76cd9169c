// NetRing.swift: upstream's network ring (include/ukvm_abi.h, "The network
// ring"). A thread of the monitor serves the ring while the vCPU runs, so
// a guest sends and receives frames without exiting: it kicks the thread
// through an ioeventfd, which KVM signals without leaving the kernel.
//
// The ring lies in guest memory, so everything in it is the guest's to
// change at any time: the thread keeps its own copies of its indices, copies
// each entry before it checks it, and checks every handle, length and
// buffer as the hypercalls do. A guest that breaks the protocol (indices
// that run more than a ring apart) loses its ring, not the monitor.

import CKVM
import CSys
import Glibc
import KVM
import Support

final class NetRing: @unchecked Sendable {
    /// Where the ring lies, and what it serves.
    let gpa: UInt64
    private let ring: UnsafeMutableRawPointer
    private let memory: GuestMemory
    private let devices: [NetModule.Slot]
    /// The eventfd the guest's kick signals.
    let kick: Int32
    private var thread: pthread_t?
    /// Set by stop(); read by the thread. Only ever 0 or 1.
    private let stopping = UnsafeMutablePointer<UInt32>.allocate(capacity: 1)
    /// Set by the thread once it runs: start() waits for it, so that the
    /// thread's own start-up is over before the sandbox goes on.
    private let running = UnsafeMutablePointer<UInt32>.allocate(capacity: 1)
    /// The thread's own copies of the indices it writes.
    private var entHead: UInt32 = 0
    private var comTail: UInt32 = 0
    /// Frames the taps would not take (full), and whether the guest broke the ring.
    private(set) var dropped: UInt64 = 0
    private var broken = false

    static let reserve = UInt64(UKVM_RING_RESERVE)
    static let slots = UInt32(UKVM_RING_SLOTS)
    /// Polls of an idle ring before the thread sleeps until kicked: a wake-up
    /// costs more than the next frame of a busy stream takes to arrive.
    static let spinPolls = 4096
    private static func offset(_ field: PartialKeyPath<ukvm_ring>) -> Int {
        MemoryLayout<ukvm_ring>.offset(of: field)!
    }
    private static let entTailAt = offset(\.ent_tail), entHeadAt = offset(\.ent_head)
    private static let comTailAt = offset(\.com_tail), needsKickAt = offset(\.needs_kick)
    private static let entriesAt = offset(\.entries), commitsAt = offset(\.commits)

    /// Zeroes the ring at `gpa` (monitor memory above the guest's) and has
    /// KVM signal a kick instead of exiting. `devices` by handle, as NetModule's.
    init(memory: GuestMemory, gpa: UInt64, devices: [NetModule.Slot], vm: VM) throws(MonitorError) {
        let size = UInt64(MemoryLayout<ukvm_ring>.size)
        ring = try memory.pointer(gpa: gpa, count: size)
        memset(ring, 0, Int(size))
        guard vm.has(KVM_CAP_IOEVENTFD) else { throw .setup("KVM cannot signal an eventfd on port I/O") }
        let fd = eventfd(0, Int32(EFD_CLOEXEC))
        guard fd >= 0 else { throw .setup("eventfd: \(errnoText(errno))") }
        do {
            try vm.signalOnPortWrite(port: UInt16(UKVM_RING_KICK_PIO), length: 4, eventFD: fd)
        } catch {
            close(fd)
            throw .setup(error.description)
        }
        self.gpa = gpa
        self.memory = memory
        self.devices = devices
        kick = fd
        stopping.initialize(to: 0)
        running.initialize(to: 0)
    }

    deinit {
        stop()
        close(kick)
        stopping.deallocate()
        running.deallocate()
    }

    /// What the ring's thread and its stop do once the sandbox is on (the
    /// taps' reads and writes are NetModule's): sleep on the kick and be
    /// woken at the end; join; the thread's exit (glibc blocks signals and
    /// releases the stack); the locks two threads may contend for (glibc's
    /// and the Swift runtime's: private futexes only); and the kick closed
    /// with the ring.
    var sandboxNeeds: SandboxNeeds { NetRing.sandboxNeeds(kick: kick) }

    static func sandboxNeeds(kick: Int32) -> SandboxNeeds {
        let futex = [FUTEX_WAIT_PRIVATE, FUTEX_WAKE_PRIVATE, FUTEX_LOCK_PI_PRIVATE, FUTEX_UNLOCK_PI_PRIVATE,
                     FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME]
        return .calls([.read, .write, .close], on: [kick], why: "net ring: the kick")
            + SandboxNeeds(futex.map { SandboxRule(.futex, [ArgumentTest(1, .equals32(UInt32($0)))],
                                                   why: "net ring: locks, pthread_join") })
            + SandboxNeeds([SandboxRule(.madvise, [ArgumentTest(2, .equals32(UInt32(MADV_DONTNEED)))],
                                        why: "net ring: the thread's stack released"),
                            SandboxRule(.rtSigprocmask, [ArgumentTest(0, .equals32(UInt32(SIG_BLOCK)))],
                                        why: "net ring: the thread exits")])
            + .call(.exit, why: "net ring: the thread exits")
    }

    /// Starts the thread, with the stop signals and the console's alarm
    /// blocked in it: they are for the vCPU's thread, whose KVM_RUN they
    /// interrupt.
    func start() throws(MonitorError) {
        var block = sigset_t(), old = sigset_t()
        sigemptyset(&block)
        for s in Signals.stopSignals + [Signals.consoleAlarm] { sigaddset(&block, s) }
        pthread_sigmask(SIG_BLOCK, &block, &old)
        defer { pthread_sigmask(SIG_SETMASK, &old, nil) }
        var t = pthread_t()
        let context = Unmanaged.passRetained(self).toOpaque()
        let e = pthread_create(&t, nil, { context in
            let ring = Unmanaged<NetRing>.fromOpaque(context!).takeRetainedValue()
            csys_store_release_u32(ring.running, 1)
            ring.serve()
            return nil
        }, context)
        guard e == 0 else {
            Unmanaged<NetRing>.fromOpaque(context).release()
            throw .setup("cannot start the network ring's thread: \(errnoText(e))")
        }
        thread = t
        while csys_load_acquire_u32(running) == 0 { sched_yield() }
    }

    /// Stops the thread and waits for it.
    func stop() {
        guard let t = thread else { return }
        thread = nil
        csys_store_release_u32(stopping, 1)
        var one: UInt64 = 1
        _ = write(kick, &one, 8)
        pthread_join(t, nil)
    }

    private var stopRequested: Bool { csys_load_acquire_u32(stopping) != 0 }

    /// Whether the guest has submitted entries the thread has not taken.
    private var hasWork: Bool {
        !broken && csys_load_acquire_u32(ring + NetRing.entTailAt) != entHead
    }

    /// The thread: take entries while there are any, spin a while when there
    /// are none, then ask for a kick and sleep.
    private func serve() {
        while !stopRequested {
            if hasWork {
                drain()
                continue
            }
            var polls = 0
            while polls < NetRing.spinPolls && !hasWork && !stopRequested {
                csys_cpu_relax()
                polls += 1
            }
            if hasWork || stopRequested { continue }
            // Store mine, load theirs: the fence keeps the guest from missing
            // needs_kick while we miss its new entry.
            csys_store_release_u32(ring + NetRing.needsKickAt, 1)
            csys_fence()
            if !hasWork {
                var value: UInt64 = 0
                while read(kick, &value, 8) < 0 && errno == EINTR {}
            }
            csys_store_release_u32(ring + NetRing.needsKickAt, 0)
        }
    }

    /// Takes every entry submitted so far.
    private func drain() {
        let tail = csys_load_acquire_u32(ring + NetRing.entTailAt)
        guard tail &- entHead <= NetRing.slots else {
            broken = true
            Console.error("net ring: the guest's indices are \(tail &- entHead) apart, more than the ring "
                + "holds; the ring is stopped")
            return
        }
        while entHead != tail {
            let at = NetRing.entriesAt + Int(entHead % NetRing.slots) * MemoryLayout<ukvm_ring_entry>.size
            let entry = ring.loadUnaligned(fromByteOffset: at, as: ukvm_ring_entry.self)
            switch entry.operation {
            case UInt32(UKVM_RING_NET_WRITE): send(entry)
            case UInt32(UKVM_RING_NET_READ): receive(entry)
            default: break  // not an operation: nothing to do, nothing to commit
            }
            entHead &+= 1
            csys_store_release_u32(ring + NetRing.entHeadAt, entHead)
        }
    }

    /// NET_WRITE: the frame to its tap; a frame the tap will not take now is
    /// lost, as on a busy network (there is no commit to say so).
    private func send(_ e: ukvm_ring_entry) {
        guard let device = NetModule.Slot.attached(devices, UInt64(e.handle)), e.len > 0,
              UInt64(e.len) <= device.maxFrame,
              let frame = try? memory.pointer(gpa: e.data, count: UInt64(e.len), .guestReadable) else { return }
        if NetModule.write(device, frame: frame, length: UInt64(e.len)) != HypercallStatus.ok {
            dropped &+= 1
        }
    }

    /// NET_READ: one frame into the entry's buffer, then its commit.
    private func receive(_ e: ukvm_ring_entry) {
        var result = HypercallStatus.invalid, length: UInt32 = 0
        if let device = NetModule.Slot.attached(devices, UInt64(e.handle)),
           UInt64(e.len) >= ukvm_net_rx_min(device.mtu),
           let buffer = try? memory.pointer(gpa: e.data, count: UInt64(e.len), .guestWritable) {
            (result, length) = NetModule.read(device, into: buffer, capacity: UInt64(e.len))
        }
        let at = NetRing.commitsAt + Int(comTail % NetRing.slots) * MemoryLayout<ukvm_ring_commit>.size
        ring.storeBytes(of: ukvm_ring_commit(id: e.id, ret: result, len: length, _reserved: 0),
                        toByteOffset: at, as: ukvm_ring_commit.self)
        comTail &+= 1
        csys_store_release_u32(ring + NetRing.comTailAt, comTail)
    }
}
