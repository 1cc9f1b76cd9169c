// ViolationReport.swift: what happens when the filter stops a system call.
//
// The filter answers SECCOMP_RET_TRAP: the kernel does not make the call and
// sends SIGSYS (which a blocked or ignored SIGSYS cannot stop: the kernel
// then kills the process). The handler writes one line naming the call,
// syncs the disks (what the guest wrote must be on disk however the monitor
// ends, short of SIGKILL) and exits with ExitStatus.sandboxStop. It runs in
// a monitor that may have been subverted, so it trusts nothing but what
// was prepared before the filter went on, and only calls write, fdatasync
// and exit_group, which the filter allows: were any of them refused, the
// kernel would kill the process by SIGSYS, which is still a stop.

import CSys
import Glibc

enum ViolationReport {
    /// Everything the handler uses, made before the filter goes on. The
    /// handler only follows raw pointers, compares integers and loops
    /// while an Int is less than another: no allocation, no lock, no lazy
    /// set-up, no generic code that could need the runtime (in an
    /// unoptimised build too), nothing but write, fdatasync and exit_group.
    private struct Prepared {
        /// The names of the calls Syscall.known and the policy name, by
        /// number, and whether the policy allows the call with some
        /// arguments only.
        var numbers: UnsafeMutablePointer<Int32>
        var names: UnsafeMutablePointer<UnsafePointer<UInt8>>
        var nameLengths: UnsafeMutablePointer<Int>
        var restricted: UnsafeMutablePointer<Bool>
        var known: Int
        /// "PROGRAM: sandbox: ", the two ways to go on, and room for a line.
        var prefix: Text
        var forbiddenCall: Text
        var forbiddenArguments: Text
        var line: UnsafeMutablePointer<UInt8>
        var disks: UnsafeMutablePointer<Int32>
        var diskCount: Int
        var status: Int32
    }

    /// Bytes and how many.
    private struct Text {
        let bytes: UnsafePointer<UInt8>
        let count: Int

        init(_ string: String) {
            let utf8 = Array(string.utf8)
            let p = UnsafeMutablePointer<UInt8>.allocate(capacity: max(utf8.count, 1))
            p.initialize(from: utf8, count: utf8.count)
            bytes = UnsafePointer(p)
            count = utf8.count
        }

        /// A literal's own bytes, in the executable: nothing copied.
        init(_ literal: StaticString) {
            bytes = literal.utf8Start
            count = literal.utf8CodeUnitCount
        }
    }

    /// The longest line: prefix, what, name, number.
    private static let lineCapacity = 256

    /// Set once by `install`. A constant pointer to it, so that the handler
    /// reads it without the runtime's exclusivity check.
    nonisolated(unsafe) private static let prepared: UnsafeMutablePointer<UnsafeMutablePointer<Prepared>?> = {
        let p = UnsafeMutablePointer<UnsafeMutablePointer<Prepared>?>.allocate(capacity: 1)
        p.initialize(to: nil)
        return p
    }()

    /// What the report itself calls: its line on stderr, the disks' sync,
    /// the exit.
    static func sandboxNeeds(disks: [Int32]) -> SandboxNeeds {
        .calls([.write], on: [2], why: "the sandbox's report")
            + .calls([.fdatasync], on: disks, why: "the sandbox's report")
            + .call(.exitGroup, why: "the sandbox's report")
    }

    /// Installs the SIGSYS handler for `policy`. `program` names the
    /// monitor in its line ("ukvm", "solo5-hvt"); `disks` are synced before
    /// it exits with `status`.
    static func install(policy: SandboxPolicy, program: String, disks: [Int32], status: Int32) {
        let named = Syscall.known + policy.calls.filter { c in !Syscall.known.contains(c) }
        let names = named.map { Text($0.name) }
        let p = UnsafeMutablePointer<Prepared>.allocate(capacity: 1)
        p.initialize(to: Prepared(
            numbers: copy(named.map { $0.number }), names: copy(names.map { $0.bytes }), nameLengths: copy(names.map { $0.count }),
            restricted: copy(named.map { policy.restricts($0.number) }), known: named.count,
            prefix: Text("\(program): sandbox: "), forbiddenCall: Text("forbidden system call "),
            forbiddenArguments: Text("forbidden arguments to system call "),
            line: .allocate(capacity: lineCapacity), disks: copy(disks), diskCount: disks.count, status: status))
        prepared.pointee = p
        var action = sigaction()
        action.__sigaction_handler.sa_sigaction = { _, info, _ in ViolationReport.report(info) }
        sigfillset(&action.sa_mask)   // nothing else runs while it reports
        action.sa_flags = SA_SIGINFO
        sigaction(SIGSYS, &action, nil)
    }

    /// `values` in memory of their own, never freed.
    private static func copy<T>(_ values: [T]) -> UnsafeMutablePointer<T> {
        let p = UnsafeMutablePointer<T>.allocate(capacity: max(values.count, 1))
        p.initialize(from: values, count: values.count)
        return p
    }

    /// The handler: "PROGRAM: sandbox: forbidden system call NAME (NR)" or
    /// "... forbidden arguments to system call NAME (NR)", or without a
    /// name "... forbidden system call NR"; the disks synced; the exit.
    private static func report(_ info: UnsafeMutablePointer<siginfo_t>?) {
        guard let p = prepared.pointee else { _exit(ExitStatus.guestFault) }
        var nr: Int32 = -1
        if let info { nr = csys_siginfo_syscall(info) }
        var i = 0
        while i < p.pointee.known && (p.pointee.numbers + i).pointee != nr { i += 1 }
        var line = Line(start: p.pointee.line, capacity: lineCapacity)
        line.append(p.pointee.prefix)
        if i < p.pointee.known {
            line.append((p.pointee.restricted + i).pointee ? p.pointee.forbiddenArguments : p.pointee.forbiddenCall)
            line.append((p.pointee.names + i).pointee, (p.pointee.nameLengths + i).pointee)
            line.append(UInt8(ascii: " "))
            line.append(UInt8(ascii: "("))
            line.append(number: nr)
            line.append(UInt8(ascii: ")"))
        } else {
            line.append(p.pointee.forbiddenCall)
            line.append(number: nr)
        }
        line.append(UInt8(ascii: "\n"))
        _ = write(2, p.pointee.line, line.count)
        i = 0
        while i < p.pointee.diskCount {
            _ = fdatasync((p.pointee.disks + i).pointee)
            i += 1
        }
        _exit(p.pointee.status)
    }

    /// A line put together in a fixed buffer; what does not fit is dropped
    /// (the last byte is kept for the newline).
    private struct Line {
        let start: UnsafeMutablePointer<UInt8>
        let capacity: Int
        var count = 0

        mutating func append(_ byte: UInt8) {
            if count < capacity - 1 || (byte == UInt8(ascii: "\n") && count < capacity) {
                (start + count).pointee = byte
                count += 1
            }
        }

        mutating func append(_ bytes: UnsafePointer<UInt8>, _ n: Int) {
            var i = 0
            while i < n {
                append((bytes + i).pointee)
                i += 1
            }
        }

        mutating func append(_ text: Text) {
            append(text.bytes, text.count)
        }

        mutating func append(number: Int32) {
            var n = Int64(number)
            if n < 0 {
                append(UInt8(ascii: "-"))
                n = -n
            }
            var scale: Int64 = 1
            while scale <= n / 10 { scale *= 10 }
            while scale > 0 {
                append(UInt8(ascii: "0") + UInt8(n / scale % 10))
                scale /= 10
            }
        }
    }
}
