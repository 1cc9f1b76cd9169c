// DebugModule.swift: debugging a unikernel: --gdb (a gdb remote stub for
// the vCPU, Debug/DebugSession.swift) and --dumpcore (an ELF core file
// when the guest faults, Debug/CoreDump.swift). Both off by default; off,
// this module installs nothing and the run loop has no debugger.
//
// Before the guest's first instruction (prepareRun, before the sandbox) it
// opens what it will need: the listening socket and gdb's connection, the
// directory for core files. After that it opens nothing: the core file is
// created relative to the directory's descriptor, with O_EXCL, and takes
// that descriptor's number; and it declares exactly those calls to the
// sandbox (sandboxNeeds). Since the filter cannot check openat's path (an
// absolute one ignores the descriptor), Landlock confines every file
// creation and write to the directory (Sandbox/Landlock.swift).

import CKVM
import CSys
import Glibc
import KVM
import Support

final class DebugModule: RunParticipant {
    /// gdb's conventional port, as QEMU's -s and upstream's tender use.
    static let defaultPort: UInt16 = 1234

    /// The options of this run: from the flags, or set whole by the
    /// launcher (LaunchConfiguration).
    var configuration = DebugConfiguration()
    /// --gdb: the port to listen on (0: any free one).
    var gdbPort: UInt16? { configuration.gdbPort }
    /// --gdb-port (upstream's spelling): the port, should --gdb be given.
    private var upstreamPort: UInt16?
    /// --dumpcore: the directory for core files (its bytes, as given).
    var dumpDirectory: Argument? { configuration.dumpDirectory }
    /// The directory, open from prepareRun on; later the core file itself.
    /// Kept until the process exits, as the VM is (a close would be one
    /// more call for the sandbox).
    private var dumpFD: Int32 = -1
    /// gdb's connection, from prepareRun on.
    private var gdbFD: Int32 = -1
    /// The process and the time it started the guest: the core file's name.
    private var pid: Int32 = 0
    private var started = 0

    var usage: [String] {
        [
            "--gdb[=PORT]               before the guest starts, wait for gdb on 127.0.0.1:PORT "
                + "(default \(DebugModule.defaultPort); 0: any free port, printed)",
            "--gdb-port=PORT            the same as --gdb=PORT when --gdb is given (upstream's form)",
            "--dumpcore=DIR             when the guest faults or aborts, write an ELF core file into DIR",
        ]
    }

    /// With --gdb: a debugger takes #DB and #BP (the kernel hands them over).
    var hostFeatures: UInt32 { gdbPort != nil ? UInt32(UKVM_HOST_FEATURE_DEBUG) : 0 }

    /// With --gdb: breakpoints are int3s written into the guest's code.
    var writesGuestCode: Bool { gdbPort != nil }

    func describe(_ info: inout ukvm_boot_info) {
        info.host_features |= hostFeatures
    }

    func handleFlag(_ arg: Argument) throws(MonitorError) -> Bool {
        if arg == "--gdb" {
            configuration.gdbPort = gdbPort ?? upstreamPort ?? DebugModule.defaultPort
            return true
        }
        if arg.hasPrefix("--gdb=") {
            configuration.gdbPort = try DebugModule.port(arg, flag: "--gdb")
            return true
        }
        if arg.hasPrefix("--gdb-port=") {
            let port = try DebugModule.port(arg, flag: "--gdb-port")
            upstreamPort = port
            if gdbPort != nil { configuration.gdbPort = port }
            return true
        }
        if arg == "--dumpcore" { throw .malformedFlag(arg: arg.description, form: "--dumpcore=DIR") }
        if arg.hasPrefix("--dumpcore=") {
            let dir = arg.dropFirst("--dumpcore=".count)
            guard !dir.isEmpty else { throw .malformedFlag(arg: arg.description, form: "--dumpcore=DIR") }
            configuration.dumpDirectory = dir
            return true
        }
        return false
    }

    /// The PORT of FLAG=PORT: decimal, 0 to 65535.
    private static func port(_ arg: Argument, flag: String) throws(MonitorError) -> UInt16 {
        let text = arg.dropFirst(flag.count + 1).description
        guard let port = DeviceFlag.decimal(text), port <= UInt64(UInt16.max) else {
            throw .badValue(flag: flag, value: text, expected: "port number (0 to 65535)")
        }
        return UInt16(port)
    }

    func prepareRun(_ guest: GuestContext) throws(MonitorError) -> ExitHook? {
        pid = getpid()
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        started = now.tv_sec
        if let dir = dumpDirectory {
            guard let fd = dir.withPath({ open($0, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }) else {
                throw .debugger("--dumpcore=\(dir): not a path (it holds a NUL byte)")
            }
            guard fd >= 0 else { throw .debugger("--dumpcore=\(dir): \(errnoText(errno))") }
            dumpFD = fd
            // The filter cannot see openat's path: Landlock keeps the core
            // file (and any file) from being made outside the directory.
            try Landlock.confineWrites(to: fd, what: "--dumpcore=\(dir)")
        }
        guard let port = gdbPort else { return nil }
        let (listener, actual) = try GDBConnection.listen(port: port)
        Console.error("waiting for gdb on 127.0.0.1:\(actual) (in gdb: target remote 127.0.0.1:\(actual))")
        do throws(GDBConnection.End) {
            let connection = try GDBConnection.accept(listener)
            gdbFD = connection.fd
            return DebugSession(connection: connection, vcpu: guest.vcpu, memory: guest.memory)
        } catch {
            switch error {
            case .signal(let signo):
                return DebugSession(connection: nil, vcpu: guest.vcpu, memory: guest.memory, interrupted: signo)
            case .closed, .failed:
                throw .debugger("--gdb: waiting for gdb on 127.0.0.1:\(actual): \(error)")
            }
        }
    }

    func runEnded(_ outcome: RunOutcome, guest: GuestContext) -> String? {
        guard dumpFD >= 0, let signal = coreSignal(outcome, memory: guest.memory) else { return nil }
        let name = coreName(image: guest.imagePath)
        let path = (dumpDirectory?.description ?? ".") + "/" + name
        do throws(CoreDump.Failure) {
            let cpu = try coreCPU(outcome, guest: guest, signal: signal)
            try createCore(name)
            try CoreDump.write(to: dumpFD, memory: guest.memory, cpu: cpu, program: fileName(guest.imagePath))
        } catch {
            return "no core file \(path): \(error.reason)"
        }
        return "core dumped to \(path)"
    }

    /// Once the sandbox is on: the stopped vCPU's registers and KVM's
    /// debugging, I/O on gdb's connection and its close; and for a core
    /// file, its creation in the directory (exclusive, write-only), taking
    /// over the directory's descriptor, its writes, and mincore.
    func sandboxNeeds(_ context: SandboxContext) -> SandboxNeeds {
        var needs = SandboxNeeds.none
        if gdbFD >= 0 {
            needs = needs
                + .ioctl(on: context.vcpu, [ckvm_KVM_SET_REGS, ckvm_KVM_GET_SREGS, ckvm_KVM_SET_SREGS,
                                            ckvm_KVM_GET_FPU, ckvm_KVM_SET_FPU, ckvm_KVM_SET_GUEST_DEBUG],
                         why: "gdb: the stopped vCPU")
                + .calls([.read, .write, .close], on: [gdbFD], why: "gdb: the connection")
                + .call(.ppoll, why: "gdb: waiting on the connection")
        }
        if dumpFD >= 0 {
            let create = UInt64(O_WRONLY | O_CREAT | O_EXCL)
            needs = needs
                + .ioctl(on: context.vcpu, [ckvm_KVM_GET_SREGS, ckvm_KVM_GET_FPU], why: "core file: registers")
                + SandboxNeeds([
                    SandboxRule(.openat, [ArgumentTest(0, .equals32(UInt32(bitPattern: dumpFD))),
                                          ArgumentTest(2, .hasAll(create)),
                                          ArgumentTest(2, .hasNone(UInt64(O_RDWR)))],
                                why: "core file: created in the directory, never an existing file"),
                    SandboxRule(.dup3, [ArgumentTest(1, .equals32(UInt32(bitPattern: dumpFD)))],
                                why: "core file: takes the directory's descriptor"),
                ])
                + .calls([.pwrite64], on: [dumpFD], why: "core file: written")
                + .call(.mincore, why: "core file: the pages the guest touched")
        }
        return needs
    }

    // MARK: Core files

    /// The signal a core file gets for `outcome`, or nil if the run did not
    /// end in a fault: a fault the monitor saw, a HALT with a fault report,
    /// or status 255 (an abort without one, as upstream kernels pass none).
    private func coreSignal(_ outcome: RunOutcome, memory: GuestMemory) -> Int32? {
        switch outcome {
        case .guestFault:
            return SIGSEGV
        case .halted(let status, let cookie):
            if let report = FaultReport.read(gpa: cookie, status: status, memory: memory) {
                return report.signal.host
            }
            return status == Int32(UKVM_FAULT_STATUS) ? SIGABRT : nil
        default:
            return nil
        }
    }

    private func coreCPU(_ outcome: RunOutcome, guest: GuestContext, signal: Int32) throws(CoreDump.Failure)
        -> CoreDump.CPU {
        var report: FaultReport?
        if case .halted(let status, let cookie) = outcome {
            report = FaultReport.read(gpa: cookie, status: status, memory: guest.memory)
        }
        do throws(KVMError) {
            return CoreDump.cpu(regs: try guest.vcpu.registers(), sregs: try guest.vcpu.specialRegisters(),
                                fpu: try? guest.vcpu.fpu(), report: report, signal: signal)
        } catch {
            throw CoreDump.Failure(reason: error.description)
        }
    }

    /// Whether core files take upstream's name, "core.solo5-hvt.PID" (as
    /// solo5-hvt: drivers and upstream's tests look for that name).
    var upstreamCoreName = false

    /// "core.IMAGE.PID.SECONDS" (when the guest started): the pid and the
    /// time set runs apart, and O_EXCL refuses what is there. As solo5-hvt,
    /// upstream's "core.solo5-hvt.PID".
    private func coreName(image: String) -> String {
        if upstreamCoreName { return "core.solo5-hvt.\(pid)" }
        let safe = String(baseName(image).unicodeScalars.prefix(32).map {
            ($0.properties.isAlphabetic && $0.isASCII) || ("0"..."9").contains($0) || $0 == "-" || $0 == "_"
                || $0 == "." ? Character($0) : "_"
        })
        return "core.\(safe).\(pid).\(started)"
    }

    /// Creates the core file in the directory and makes the directory's
    /// descriptor the file's: the sandbox admits writes on a descriptor it
    /// knew before it went on. The descriptor openat returned stays open
    /// until the process exits (closing it would be one more call).
    private func createCore(_ name: String) throws(CoreDump.Failure) {
        let fd = openat(dumpFD, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, S_IRUSR | S_IWUSR)
        guard fd >= 0 else { throw CoreDump.Failure(reason: errnoText(errno)) }
        guard csys_dup3(fd, dumpFD, O_CLOEXEC) >= 0 else {
            throw CoreDump.Failure(reason: "dup3: \(errnoText(errno))")
        }
    }

    /// The image's file name: gdb warns when it is not the core's program
    /// name (as far as the 15 characters that name keeps).
    private func fileName(_ path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? path
    }

    /// The file name without ".ukvm", for the core file's name.
    private func baseName(_ path: String) -> String {
        let name = fileName(path)
        return name.hasSuffix(".ukvm") ? String(name.dropLast(5)) : name
    }
}
