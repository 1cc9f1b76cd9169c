// SandboxTests.swift: the sandbox's policy, the BPF program generated from
// it (run by BPFInterpreter against the policy's own answer, input by
// input), the policy a real launch gets, and the filter installed for real
// in child processes.

import CKVM
import CSys
import Foundation
@testable import Monitor
import TestSupport
import Testing

@Suite struct SandboxPolicyTests {
    let allow = UInt32(SECCOMP_RET_ALLOW), trap = UInt32(SECCOMP_RET_TRAP)

    /// A policy with every kind of test, several rules per call, and a call
    /// allowed both with and without tests.
    var rich: SandboxPolicy {
        SandboxPolicy(
            .ioctl(on: 7, [0xae80, 0x8090ae81], why: "vcpu")
            + .calls([.write], on: [1, 2, 9], why: "out")
            + .calls([.write], on: [9], why: "twice")
            + .calls([.read], on: [9], why: "in") + .call(.read, why: "anything")
            + SandboxNeeds([SandboxRule(.mmap, [ArgumentTest(2, .hasNone(0x4)), ArgumentTest(3, .hasAll(0x22)),
                                                ArgumentTest(3, .hasNone(0x1_0000_0001))], why: "malloc"),
                            SandboxRule(.lseek, [ArgumentTest(1, .equals(0x1_0000_0002))], why: "64-bit")])
            + .call(.exitGroup, why: "end"))
    }

    @Test func groupsInOrderWithoutRepeats() {
        let p = rich
        #expect(p.calls == [.ioctl, .write, .read, .mmap, .lseek, .exitGroup])
        #expect(p.groups[1].rules.count == 3)            // fd 9 once
        #expect(p.groups[2].rules.map(\.tests) == [[]])  // unconditional wins
        #expect(p.restricts(Syscall.ioctl.number) && !p.restricts(Syscall.read.number))
        #expect(!p.restricts(Syscall.openat.number))
        #expect(p.listing.contains("ioctl if arg0 == 0x7 && arg1 == 0xae80: vcpu"))
    }

    @Test func policySemantics() {
        let p = rich
        func allows(_ c: Syscall, _ args: [UInt64]) -> Bool { p.allows(c.number, args + [0, 0, 0, 0, 0, 0]) }
        #expect(allows(.ioctl, [7, 0xae80]) && allows(.ioctl, [0x1_0000_0007, 0xffff_ffff_0000_ae80]))
        #expect(!allows(.ioctl, [8, 0xae80]) && !allows(.ioctl, [7, 0xae81]))
        #expect(allows(.write, [2]) && !allows(.write, [3]))
        #expect(allows(.mmap, [0, 0, 3, 0x22]) && !allows(.mmap, [0, 0, 7, 0x22]) && !allows(.mmap, [0, 0, 3, 0x20]))
        #expect(!allows(.mmap, [0, 0, 3, 0x23]) && !allows(.mmap, [0, 0, 3, 0x1_0000_0022]))
        #expect(allows(.lseek, [0, 0x1_0000_0002]) && !allows(.lseek, [0, 2]))
        #expect(!allows(.openat, []))
    }

    /// The generated program decides as the policy does, for every call
    /// number, x32 numbers, and arguments around every value the rules name.
    @Test func programMatchesPolicy() throws {
        let p = rich
        let bpf = BPFInterpreter(program: SeccompProgram.generate(p))
        var rng = SplitMix(seed: 8)
        var values: [UInt64] = [0, 1, 2, 3, 7, 8, 9, 0x20, 0x22, 0x23, 0x26, 0xae80, 0xae81, 0x8090ae81,
                                0x1_0000_0002, 0x1_0000_0007, 0xffff_ffff_0000_ae80, UInt64.max]
        for _ in 0..<16 { values.append(rng.next()) }
        var checked = 0
        for nr in Array(0..<470) + [0x4000_0001, 0x4000_0010, -1] {
            let interesting = p.calls.contains { $0.number == Int32(nr) }
            for _ in 0..<(interesting ? 4000 : 3) {
                let args = (0..<6).map { _ in values[Int(rng.next() % UInt64(values.count))] }
                let verdict = try bpf.run(nr: Int32(nr), args: args)
                #expect(verdict == (p.allows(Int32(nr), args) ? allow : trap), "nr \(nr) args \(args)")
                checked += 1
            }
        }
        #expect(checked > 20_000)
        #expect(try bpf.run(nr: 0, arch: 0x4000_0003, args: [0, 0, 0, 0, 0, 0]) == UInt32(SECCOMP_RET_KILL_PROCESS))
    }

    /// Conditional jumps go at most one instruction ahead, so a policy of any
    /// size assembles: here one with a thousand rules.
    @Test func largePolicies() throws {
        let fds = (0..<500).map { Int32($0 + 3) }
        let p = SandboxPolicy(.calls([.pread64, .pwrite64], on: fds, why: "many disks") + .call(.exitGroup, why: "end"))
        let program = SeccompProgram.generate(p)
        #expect(program.allSatisfy { $0.jt <= 1 && $0.jf <= 1 })
        let bpf = BPFInterpreter(program: program)
        #expect(try bpf.run(nr: Syscall.pwrite64.number, args: [502, 0, 0, 0, 0, 0]) == allow)
        #expect(try bpf.run(nr: Syscall.pwrite64.number, args: [503, 0, 0, 0, 0, 0]) == trap)
        #expect(program.count < SeccompProgram.maxInstructions)
    }
}

/// The policy of a real launch: every module's rules, the run loop's, the
/// console's, the signals' and the runtime's; and docs/hardening.md listing
/// every call it can allow.
@Suite struct LaunchPolicyTests {
    let allow = UInt32(SECCOMP_RET_ALLOW), trap = UInt32(SECCOMP_RET_TRAP)

    /// The policy of a launch with a disk and an inherited tap (a socketpair
    /// standing in, as in Harness), vCPU descriptor 77.
    func withDevices(_ body: (SandboxPolicy, _ disk: Int32, _ tap: Int32) throws -> Void) throws {
        let disk = TempFile(size: 8192)
        var fds: [Int32] = [0, 0]
        #expect(socketpair(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0, &fds) == 0)
        defer { for fd in fds { close(fd) } }
        let h = try Harness(flags: ["--block:d=\(disk.path)", "--net:n=@\(fds[0])"],
                            manifest: .declaring([("d", .blockBasic), ("n", .netBasic)]))
        let wait = try DeviceWait(h.launch.pollDescriptors)
        try body(SandboxPolicy(h.launch.sandboxNeeds(vcpu: 77, wait: wait)),
                 Int32(h.manifest.entries[1].hostpriv), fds[0])
    }

    @Test func devicesAndTheRunLoop() throws {
        try withDevices { policy, disk, tap in
            let bpf = BPFInterpreter(program: SeccompProgram.generate(policy))
            /// The program's answer; UInt32.max if it is no valid program.
            func verdict(_ c: Syscall, _ args: [UInt64]) -> UInt32 {
                (try? bpf.run(nr: c.number, args: args + [UInt64](repeating: 0, count: 6 - args.count))) ?? .max
            }
            let d = UInt64(disk), t = UInt64(tap)
            #expect(verdict(.ioctl, [77, UInt64(ckvm_KVM_RUN)]) == allow)
            #expect(verdict(.ioctl, [77, UInt64(ckvm_KVM_GET_REGS)]) == allow)
            #expect(verdict(.ioctl, [77, UInt64(ckvm_KVM_SET_REGS)]) == trap)
            #expect(verdict(.ioctl, [d, UInt64(ckvm_KVM_RUN)]) == trap)
            #expect(verdict(.write, [1]) == allow && verdict(.write, [2]) == allow)
            #expect(verdict(.write, [0]) == trap && verdict(.write, [d]) == trap && verdict(.write, [t]) == trap)
            #expect(verdict(.pwrite64, [d]) == allow && verdict(.pread64, [d]) == allow)
            #expect(verdict(.fdatasync, [d]) == allow && verdict(.fdatasync, [t]) == trap)
            #expect(verdict(.pwrite64, [t]) == trap && verdict(.read, [d]) == trap)
            #expect(verdict(.preadv2, [t]) == allow && verdict(.pwritev2, [t]) == allow)
            #expect(verdict(.preadv2, [d]) == trap)
            #expect(verdict(.mmap, [0, 4096, 3, 0x22]) == allow)
            #expect(verdict(.mmap, [0, 4096, 7, 0x22]) == trap)        // PROT_EXEC
            #expect(verdict(.mmap, [0, 4096, 3, 0x21]) == trap)        // MAP_SHARED
            #expect(verdict(.mmap, [0, 4096, 3, 0x02, 5]) == trap)     // a file
            #expect(verdict(.clockGettime, [UInt64(CLOCK_MONOTONIC)]) == allow)
            #expect(verdict(.clockGettime, [UInt64(CLOCK_PROCESS_CPUTIME_ID)]) == trap)
            for forbidden: Syscall in [.openat, .open, .execve, .socket, .clone, .mprotect, .close, .kill] {
                #expect(verdict(forbidden, []) == trap, "\(forbidden)")
            }
        }
    }

    /// How many calls the policy allows: what docs/hardening.md counts
    /// against upstream's 18 (which test no argument).
    @Test func callCount() throws {
        try withDevices { policy, _, _ in
            // And the sanitizer's, in a build with AddressSanitizer.
            let sanitizer = SandboxPolicy(Sandbox.sanitizerNeeds).calls.count
            #expect(policy.calls.count - sanitizer == 17, "\(policy.calls)")
        }
        let own = SandboxNeeds.calls([.write, .read], on: [5], why: "a tap opened by name")
        #expect(SandboxPolicy(own).calls.count == 2)
    }

    /// docs/hardening.md has a row for every call any launch can allow.
    @Test func documented() throws {
        let doc = try String(contentsOfFile: repoPath("docs/hardening.md"), encoding: .utf8)
        try withDevices { policy, _, _ in
            let all = policy.calls + [Syscall.read]
                + SandboxPolicy(Signals.sandboxNeeds(diesBySignal: true)).calls
                + SandboxPolicy(NetRing.sandboxNeeds(kick: 9)).calls
            // The first column of the table of allowed calls.
            let rows = doc.split(separator: "\n").filter { $0.hasPrefix("| `") }
                .map { $0.split(separator: "|").first ?? "" }
            for c in all {
                #expect(rows.contains { $0.contains("`\(c.name)`") }, "docs/hardening.md lacks \(c.name)")
            }
        }
    }
}

/// The filter installed for real, in child processes: what it allows goes
/// through, what it does not is stopped and reported (one line, exit 126),
/// on every thread.
@Suite(.serialized) struct SandboxChildTests {
    /// Runs `body` in a child that enters a sandbox allowing `needs` (and
    /// what a report needs), with stderr on a pipe. Returns the child's exit
    /// status (-N: killed by signal N) and what it wrote on stderr.
    func sandboxed(_ needs: SandboxNeeds, before: @escaping () -> Void = {},
                   _ body: @escaping () -> Int32) -> (status: Int32, report: String) {
        var err: [Int32] = [0, 0]
        #expect(pipe(&err) == 0)
        let policy = SandboxPolicy(needs + ViolationReport.sandboxNeeds(disks: []) + Sandbox.sanitizerNeeds)
        _ = SeccompProgram.generate(policy)   // everything it uses, made before the fork
        let child = fork()
        if child == 0 {
            dup2(err[1], 2)
            before()
            ViolationReport.install(policy: policy, program: "test", disks: [], status: 126)
            do {
                try Sandbox.enter(policy)
            } catch {
                _exit(99)
            }
            _exit(body())
        }
        close(err[1])
        var status: Int32 = 0
        waitpid(child, &status, 0)
        var text = [UInt8](repeating: 0, count: 512)
        let n = read(err[0], &text, text.count)
        close(err[0])
        let code = status & 0x7f == 0 ? (status >> 8) & 0xff : -(status & 0x7f)
        return (code, String(decoding: text.prefix(max(n, 0)), as: UTF8.self))
    }

    @Test func allowedCallsGoThrough() {
        var out: [Int32] = [0, 0]
        #expect(pipe(&out) == 0)
        defer { close(out[0]) }
        let fd = out[1]
        let r = sandboxed(.calls([.write], on: [fd], why: "test")) {
            write(fd, "ok", 2) == 2 ? 0 : 1
        }
        close(out[1])
        #expect(r.status == 0 && r.report.isEmpty, "\(r)")
        var buf = [UInt8](repeating: 0, count: 2)
        #expect(read(out[0], &buf, 2) == 2 && buf == Array("ok".utf8))
    }

    @Test func forbiddenCallIsStoppedAndReported() {
        let r = sandboxed(.none) { getppid() > 0 ? 0 : 1 }
        #expect(r.status == 126)
        #expect(r.report == "test: sandbox: forbidden system call \(SYS_getppid)\n", "\(r)")
        let named = sandboxed(.none) { open("/etc/hostname", O_RDONLY) >= 0 ? 0 : 1 }
        #expect(named.status == 126)
        #expect(named.report == "test: sandbox: forbidden system call openat (\(SYS_openat))\n", "\(named)")
    }

    @Test func forbiddenArgumentsAreStopped() {
        var out: [Int32] = [0, 0]
        #expect(pipe(&out) == 0)
        defer { close(out[0]); close(out[1]) }
        let fd = out[1]
        let r = sandboxed(.calls([.write], on: [fd], why: "test")) {
            // Standard output is not the descriptor the rule names.
            write(1, "no", 2) == 2 ? 0 : 1
        }
        #expect(r.status == 126)
        #expect(r.report == "test: sandbox: forbidden arguments to system call write (1)\n", "\(r)")
        let exec = sandboxed(Sandbox.runtimeNeeds) {
            let p = mmap(nil, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
            return p == MAP_FAILED ? 1 : 0
        }
        #expect(exec.status == 126 && exec.report.contains("mmap"), "\(exec)")
        let data = sandboxed(Sandbox.runtimeNeeds) {
            let p = mmap(nil, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
            return p == MAP_FAILED ? 1 : 0
        }
        #expect(data.status == 0, "\(data)")
    }

    /// No new privileges, no capabilities, the filter: what /proc says.
    @Test func processStatus() {
        var out: [Int32] = [0, 0]
        #expect(pipe(&out) == 0)
        defer { close(out[0]) }
        let fd = out[1]
        // The child opens its own /proc/self/status before the filter, on a
        // descriptor number this process holds (so no other descriptor of
        // the child has it), and reads it after.
        let status = open("/dev/null", O_RDONLY)
        defer { close(status) }
        // No allocation after the filter: in a child forked from a process
        // with threads, malloc may want calls the filter does not allow.
        let buf = UnsafeMutableRawPointer.allocate(byteCount: 4096, alignment: 8)
        defer { buf.deallocate() }
        let r = sandboxed(.calls([.write], on: [fd], why: "test") + .calls([.read], on: [status], why: "test"),
                          before: { dup2(open("/proc/self/status", O_RDONLY), status) }) {
            let n = read(status, buf, 4096)
            return write(fd, buf, max(n, 0)) == n ? 0 : 1
        }
        close(out[1])
        #expect(r.status == 0, "\(r)")
        var got = [UInt8](repeating: 0, count: 4096)
        let n = read(out[0], &got, got.count)
        let text = String(decoding: got.prefix(max(n, 0)), as: UTF8.self)
        for line in ["NoNewPrivs:\t1", "Seccomp:\t2", "CapEff:\t0000000000000000", "CapPrm:\t0000000000000000",
                     "CapInh:\t0000000000000000", "CapAmb:\t0000000000000000"] {
            #expect(text.contains(line), "\(line) in \(text)")
        }
    }

    /// As root, root's special case is off for good: the securebits are set
    /// and locked, so uid 0 gains nothing at an execve even if the filter
    /// let one through, and nothing can clear them.
    @Test(.enabled(if: getuid() == 0, "securebits need CAP_SETPCAP: run as root"))
    func securebitsLocked() {
        let expected = Int32(csys_SECUREBITS_NO_ROOT_LOCKED)
        let r = sandboxed(.call(.prctl, why: "test")) {
            guard csys_prctl(PR_GET_SECUREBITS, 0, 0) == expected else { return 1 }
            return csys_prctl(PR_SET_SECUREBITS, 0, 0) == -1 && errno == EPERM ? 0 : 2
        }
        #expect(r.status == 0, "\(r)")
    }

    /// TSYNC: a thread that exists before the filter goes on gets it too.
    @Test func everyThreadIsFiltered() {
        // wake: the thread waits on it until the filter is on; ready: the
        // thread says it is running (so nothing of its start-up, which may
        // make calls of its own, happens under the filter).
        var wake: [Int32] = [0, 0], ready: [Int32] = [0, 0]
        #expect(pipe(&wake) == 0 && pipe(&ready) == 0)
        defer { for fd in wake + ready { close(fd) } }
        let fds = UnsafeMutablePointer<Int32>.allocate(capacity: 2)
        defer { fds.deallocate() }
        fds[0] = wake[0]
        fds[1] = ready[1]
        let w = wake[1], r0 = ready[0]
        let r = sandboxed(.calls([.write], on: [w], why: "test") + .calls([.read], on: [wake[0]], why: "test"),
                          before: {
            var thread = pthread_t()
            pthread_create(&thread, nil, { arg in
                let fds = arg!.assumingMemoryBound(to: Int32.self)
                var byte: UInt8 = 0
                _ = write(fds[1], &byte, 1)
                _ = read(fds[0], &byte, 1)   // until the filter is on
                _ = getppid()                // forbidden: stopped on this thread
                return nil
            }, fds)
            var byte: UInt8 = 0
            _ = read(r0, &byte, 1)
        }) {
            var byte: UInt8 = 1
            _ = write(w, &byte, 1)
            // The other thread's call ends the process; this one only spins.
            let start = DeviceWait.monotonicNanoseconds()
            while DeviceWait.monotonicNanoseconds() - start < 5_000_000_000 {}
            return 0
        }
        #expect(r.status == 126, "the other thread's forbidden call was not stopped: \(r)")
        #expect(r.report.contains("forbidden system call \(SYS_getppid)"), "\(r)")
    }
}
