// ConsoleBuffer.swift: the guest's console buffer (the console note,
// include/ukvm_ext.h), drained at every exit of the vCPU before the exit is
// handled: the guest's text keeps its order against every hypercall and
// reaches the console however the run ends, while a boot that prints a
// dozen lines costs one exit instead of a dozen (docs/density.md).
//
// Text waits at most `holdLimit`: a guest that prints and then computes
// makes no exit, so before each KVM_RUN a one-shot timer (SIGALRM,
// Signals.useConsoleAlarm) is set to end the run by then. It is set again
// only once half of it has gone by: a guest that exits often pays one
// setitimer per 25 ms, not one per exit; one that computes, one exit per
// 50 ms.

import CKVM
import Glibc
import Image
import Support

final class ConsoleBuffer {
    /// The header's len, in guest memory: the guest raises it, we zero it.
    private let length: UnsafeMutablePointer<UInt32>
    /// The text after the header.
    private let text: UnsafeRawPointer
    private let capacity: UInt32
    /// How much of the text a drain cut short by a stop signal wrote: the
    /// final drain (`drainAtStop`) writes only the rest.
    private var sent: UInt32 = 0
    /// When the alarm was last set (CLOCK_MONOTONIC, ns); 0: never.
    private var armedAt: UInt64 = 0

    /// The longest text waits while the guest runs without an exit.
    static let holdLimit: UInt64 = 50_000_000

    /// setitimer(ITIMER_REAL) for the alarm; the monotonic clock is the
    /// device wait's (the vDSO, or the call: DeviceWait.sandboxNeeds).
    static let sandboxNeeds = SandboxNeeds([
        SandboxRule(.setitimer, [ArgumentTest(0, .equals32(UInt32(ITIMER_REAL.rawValue)))],
                    why: "console buffer: the alarm that bounds how long text waits"),
    ])

    private init(length: UnsafeMutablePointer<UInt32>, text: UnsafeRawPointer, capacity: UInt32) {
        self.length = length
        self.text = text
        self.capacity = capacity
    }

    /// The buffer `image`'s console note names, if the monitor offers it:
    /// `allowed` (not --x-no-console-buffer) and the console is not a
    /// terminal, where someone may watch a guest compute line by line.
    static func offered(for image: ELFImage, memory: GuestMemory,
                        allowed: Bool) throws(MonitorError) -> ConsoleBuffer? {
        guard allowed, let note = image.console, isatty(1) == 0 else { return nil }
        // The image layer checked it lies in one writable data segment
        // (ConsoleNote.check(in:)), whose pages W^X never makes read-only
        // (ImageProtection: a page a writable segment shares stays
        // writable); only that it lies in this guest's memory is left.
        guard memory.contains(gpa: note.buffer, count: note.size, .guestWritable) else {
            throw .setup("console note: buffer at \(hex(note.buffer)) is not in writable guest memory")
        }
        let header = try memory.pointer(gpa: note.buffer, count: note.size)
        return ConsoleBuffer(length: header.assumingMemoryBound(to: UInt32.self),
                             text: UnsafeRawPointer(header + Int(ConsoleNote.headerSize)),
                             capacity: UInt32(note.capacity))
    }

    /// Before each KVM_RUN: makes sure the run ends within `holdLimit`, so
    /// that what the guest appends during it waits no longer than that.
    @inline(__always)
    func beforeRun() {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        let now = UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
        let age = now &- armedAt
        guard age >= ConsoleBuffer.holdLimit / 2 else { return }
        // Gone off outside KVM_RUN (the guest waited in POLL): pending, and
        // it would end the coming run at once.
        if armedAt != 0 && age >= ConsoleBuffer.holdLimit { Signals.discardConsoleAlarm() }
        var timer = itimerval()
        timer.it_value.tv_usec = Int(ConsoleBuffer.holdLimit / 1000)
        setitimer(__itimer_which_t(ITIMER_REAL.rawValue), &timer, nil)
        armedAt = now
    }

    /// Writes what the guest appended since the last exit and empties the
    /// buffer. A stop signal pending leaves what is not yet written for
    /// `drainAtStop`.
    /// Returns how the run ends, if this ends it: a length beyond the
    /// buffer (a guest fault) or a console that cannot be written.
    @inline(__always)
    func drain() -> RunOutcome? {
        let len = length.pointee
        if len == 0 { return nil }
        guard len <= capacity else {
            return .guestFault("console buffer: length \(len) is beyond its \(capacity) bytes")
        }
        let from = min(sent, len)
        let (e, n) = Console.writeCounting(1, UnsafeRawBufferPointer(start: text + Int(from), count: Int(len - from)))
        if e == EINTR {
            sent = from + UInt32(n)
            return nil
        }
        length.pointee = 0
        sent = 0
        return e == 0 ? nil : .hostError("console: write: \(errnoText(e))")
    }

    /// At the end of a run that did not end at an exit (a stop signal, a
    /// failed KVM_RUN): writes what the console takes without waiting, so
    /// that a stuck console cannot hold the monitor after a stop signal.
    func drainAtStop() {
        let len = length.pointee
        guard len > sent, len <= capacity else { return }
        Console.writeAll(1, UnsafeRawBufferPointer(start: text + Int(sent), count: Int(len - sent)),
                         whilePending: true, waiting: false)
        length.pointee = 0
        sent = 0
    }
}
