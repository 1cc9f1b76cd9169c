// Launcher.swift: one run of the monitor, top to bottom: the command line,
// the image, the devices, guest memory, KVM, the run, and how it ended.

import CKVM
import CSys
import Glibc
import Image
import KVM
import Support

/// The monitor's entry point for the `ukvm` executable.
public enum Ukvm {
    /// Runs the monitor with `rawArguments` (argv as the kernel passed it,
    /// program name first, each argument's bytes without the NUL) and
    /// returns the process's exit status; prints at most one line about how
    /// the run ended. Paths and the guest's command line keep their bytes,
    /// UTF-8 or not. As solo5-hvt, a SIGHUP ends the process by the signal
    /// instead, after the disks are synced (ExitStatus.diesBySignal).
    public static func run(rawArguments: [[UInt8]]) -> Int32 {
        let personality = Personality(argv0: String(decoding: rawArguments.first ?? [], as: UTF8.self))
        Console.programName = personality.programName
        if let problem = HostProcess.prepare() {
            // Printed if stderr is open at all: it may be what was closed.
            Console.error(problem)
            return ExitStatus.code(for: .failure(.startup, message: problem), as: personality)
        }
        let launch = Launch(personality: personality)
        let outcome = launch.run(rawArguments.dropFirst().map(Argument.init(bytes:)))
        if let message = outcome.message(as: personality, adding: launch.notes) { Console.error(message) }
        if let signo = ExitStatus.diesBySignal(outcome, as: personality) { Signals.die(by: signo) }
        return ExitStatus.code(for: outcome, as: personality)
    }

    /// This process's argv as the kernel passed it, for `run(rawArguments:)`
    /// (CommandLine.arguments would replace bytes that are not UTF-8).
    public static var commandLineArguments: [[UInt8]] {
        (0..<Int(CommandLine.argc)).map { i in
            guard let arg = CommandLine.unsafeArgv[i] else { return [] }
            return UnsafeRawBufferPointer(start: arg, count: strlen(arg)).map { $0 }
        }
    }

    /// `run(rawArguments:)` for callers that hold Strings.
    public static func run(arguments: [String]) -> Int32 {
        run(rawArguments: arguments.map { Array($0.utf8) })
    }
}

final class Launch {
    let personality: Personality
    let core = CoreModule()
    let block = BlockModule()
    let net = NetModule()
    let debug = DebugModule()
    let tls = TLSModule()
    var parser = OptionParser()
    /// What the modules add to the exit message (e.g. a core file's path).
    private(set) var notes: [String] = []

    init(personality: Personality = .ukvm) {
        self.personality = personality
        // Upstream's tender has no `KERNEL DISK TAP` form: there, the two
        // words after KERNEL are always the guest's.
        parser.legacyFormAllowed = personality == .ukvm
        debug.upstreamCoreName = personality != .ukvm
    }

    /// Every module, in the order of their flags in --help, their set-up and
    /// their shutdown.
    var modules: [MonitorModule] { [core, block, net, debug, tls] }

    /// Runs the monitor; the modules are shut down (disks synced) on every
    /// path out.
    func run(_ args: [Argument]) -> Outcome {
        let outcome: Outcome
        do {
            outcome = try start(args)
        } catch let error as MonitorError {
            outcome = .failure(error.failureClass, message: error.description)
        } catch let error as KVMError {
            outcome = .failure(.startup, message: error.description)
        } catch let error as ImageError {
            outcome = .failure(.startup, message: error.description)
        } catch {
            outcome = .failure(.startup, message: "\(error)")
        }
        let synced = modules.reduce(true) { $1.shutdown() && $0 }
        if case .guestExited(let status, _) = outcome {
            return .guestExited(status: status, synced: synced)
        }
        return outcome
    }

    private func start(_ args: [Argument]) throws -> Outcome {
        // 1. Command line.
        var options = try parser.parse(args, modules: modules)
        switch options.action {
        case .help:
            Console.write(personality == .ukvm ? 1 : 2, OptionParser.usage(modules: modules, as: personality))
            return .printed(.help)
        case .version:
            Console.write(personality == .ukvm ? 1 : 2, OptionParser.version(as: personality))
            return .printed(.version)
        case .run:
            break
        }
        for w in options.warnings { Console.error(w) }

        // 2. The image, validated for the memory it will get.
        let image = try ELF.read(path: options.kernel, memorySize: options.memorySize)

        // 3. Devices: the original form's rewrite, then manifest matching.
        var manifest = image.manifest
        if let legacy = options.legacy {
            let (flags, warnings) = legacy.flags(for: manifest)
            for w in warnings { Console.error(w) }
            for f in flags { try parser.apply(f, to: &options, modules: modules) }
        }
        try DeviceBinding.attach(modules, to: &manifest)
        if let legacy = options.legacy { Console.out(try legacy.announcement(manifest)) }

        // 4. Guest memory: the guest's, and what modules reserve above it;
        // the image, page tables, GDT (and TSS).
        let plan = MemoryPlan(requested: options.memorySize, reservations: modules.map { $0.reservedMemory(for: image) })
        guard image.kernelEnd <= plan.guest else {
            throw MonitorError.memorySize("\(options.kernel): the image ends at \(hex(image.kernelEnd)), beyond "
                + "the \(plan.guest >> 20) MiB of guest memory left beside the network ring")
        }
        let memory = try GuestMemory(size: plan.total)
        try image.load(into: memory)

        // 5. KVM: one VM, one memory slot, one vCPU in the entry state (page
        // tables, GDT, TSS and registers, with what its CPU has); then what
        // modules share with the guest (the network ring).
        let vcpu = try makeVCPU(memory: memory, guestSize: plan.guest, image: image)
        for (m, at) in zip(modules, plan.reserved) { try m.prepare(vm: vcpu.vm, memory: memory, reserved: at) }

        // 6. Boot info, with the TSC frequency and the filled-in manifest.
        var info = ukvm_boot_info()
        info.mem_size = plan.guest
        info.kernel_end = image.kernelEnd
        info.cpu_cycle_freq = try vcpu.tscFrequency()
        for m in modules { m.describe(&info) }
        _ = try BootInfo.write(info, to: memory, manifest: manifest, commandLine: options.commandLine)
        // The image's code and read-only data, read-only from now on (W^X);
        // not for a debugger, which writes its breakpoints into the code.
        if !modules.contains(where: \.writesGuestCode) {
            try memory.protect(image.protection.ranges.map { ($0.start, $0.end) })
        }

        // 7. Hypercalls and signals.
        let wait = try DeviceWait(modules.flatMap(\.pollDescriptors))
        var table = HypercallTable()
        for m in modules { try m.registerHypercalls(&table, memory: memory, wait: wait) }
        Signals.install()
        if let mask = Signals.waitMask { try vcpu.setSignalMask(mask) }
        // The VM, its memory and the wait live until the process exits:
        // releasing them would cost calls (munmap, close) the sandbox would
        // then have to allow, and exit releases them anyway.
        Launch.keptUntilExit += [vcpu, memory, wait] as [AnyObject]

        // 8. What the run needs opened before the sandbox (a debugger, the
        // core file directory), the sandbox, then the run.
        let guest = GuestContext(vcpu: vcpu, memory: memory, imagePath: options.kernel.description)
        var debugger: RunDebugger?
        for m in modules {
            if let d = try m.prepareRun(guest) { debugger = d }
        }
        if options.sandbox { try enterSandbox(vcpu: vcpu.fd, wait: wait) }
        TestHooks.afterSandbox?(vcpu.fd)
        let result = RunLoop(vcpu: vcpu, hypercalls: table, memory: memory, debugger: debugger).run()

        // 9. What the modules do with the ending (a core file), in the sandbox.
        notes = modules.compactMap { $0.runEnded(result, guest: guest) }
        return outcome(of: result, vcpu: vcpu)
    }

    nonisolated(unsafe) private static var keptUntilExit: [AnyObject] = []

    /// Everything the run does from now on, the hottest calls first (the
    /// filter tests them in this order), for the sandbox (Sandbox/).
    func sandboxNeeds(vcpu: Int32, wait: DeviceWait) -> SandboxNeeds {
        let context = SandboxContext(vcpu: vcpu)
        return VCPU.sandboxNeeds(fd: vcpu)
            + modules.reduce(SandboxNeeds.none) { $0 + $1.sandboxNeeds(context) }
            + wait.sandboxNeeds
            + Console.sandboxNeeds
            + Signals.sandboxNeeds(diesBySignal: personality != .ukvm)
            + ViolationReport.sandboxNeeds(disks: modules.flatMap(\.durableDescriptors))
            + Sandbox.runtimeNeeds
    }

    private func enterSandbox(vcpu: Int32, wait: DeviceWait) throws(MonitorError) {
        let policy = SandboxPolicy(sandboxNeeds(vcpu: vcpu, wait: wait))
        ViolationReport.install(policy: policy, program: personality.programName,
                                disks: modules.flatMap(\.durableDescriptors),
                                status: ExitStatus.sandboxStop(as: personality))
        try Sandbox.enter(policy)
    }

    /// A vCPU of a new VM over `memory`, in the entry state for `image`
    /// with `guestSize` bytes of the guest's own memory.
    private func makeVCPU(memory: GuestMemory, guestSize: UInt64, image: ELFImage) throws -> VCPU {
        let kvm: KVM
        do { kvm = try KVM() } catch { throw MonitorError.setup(error.reason) }
        let vm = try kvm.createVM()
        try vm.setMemory(base: memory.base, size: memory.size)
        let vcpu = try vm.createVCPU(id: 0)
        let cpu = try vcpu.setSupportedCPUID()
        // Without FSGSBASE a CPL-3 guest cannot set its TLS base itself.
        tls.offered = !cpu.fsgsbase
        try EntryState.buildMemory(memory, cpl3: image.cpl3, protection: image.protection, nx: cpu.nx)
        try vcpu.setSpecialRegisters(EntryState.specialRegisters(try vcpu.specialRegisters(), cpl3: image.cpl3,
                                                                 fsgsbase: cpu.fsgsbase, nx: cpu.nx))
        try vcpu.setRegisters(EntryState.registers(entry: image.entry, memorySize: guestSize,
                                                   cpl3: image.cpl3 != nil))
        return vcpu
    }

    /// The outcome of a run that got as far as the guest.
    private func outcome(of result: RunOutcome, vcpu: VCPU) -> Outcome {
        switch result {
        case .halted(let status, _):
            return .guestExited(status: status, synced: true)
        case .killed:
            return .killedByDebugger
        case .signal(let signo):
            return .stopped(signal: signo)
        case .guestFault(let cause):
            let rip = (try? vcpu.registers()).map { hex($0.rip) } ?? "unknown"
            return .failure(.guestFault, message: "guest fault: \(cause) at rip=\(rip)")
        case .hostError(let message):
            return .failure(.host, message: message)
        }
    }
}
