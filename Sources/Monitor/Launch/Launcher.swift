// Launcher.swift: one run of the monitor, top to bottom: a configuration
// (from the command line, CommandLineLaunch.swift, or another front end),
// the devices, guest memory, KVM, the run, and how it ended.

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
        let args = rawArguments.dropFirst().map(Argument.init(bytes:))
        if let problem = OwnProcess.commandLineProblem(rawArguments) {
            return run(as: personality) { _ in .failure(.startup, message: problem) }
        }
        return run(as: personality) { $0.run(args) }
    }

    /// Runs `configuration`, built by a front end other than the command
    /// line (ukvm-oci), as `ukvm` would: the same messages and exit statuses.
    package static func run(_ configuration: LaunchConfiguration) -> Int32 {
        run(as: .ukvm) { $0.run(configuration) }
    }

    /// The process prepared, `body`'s run of a Launch, and how it ended.
    private static func run(as personality: Personality, _ body: (Launch) -> Outcome) -> Int32 {
        Console.programName = personality.programName
        if let problem = OwnProcess.prepare() {
            // Printed if stderr is open at all: it may be what was closed.
            Console.error(problem)
            return ExitStatus.code(for: .failure(.startup, message: problem), as: personality)
        }
        let launch = Launch(personality: personality)
        let outcome = body(launch)
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

    /// Runs the monitor for the command line `args`; the modules are shut
    /// down (disks synced) on every path out.
    func run(_ args: [Argument]) -> Outcome {
        finish(outcome {
            switch try configuration(args) {
            case .printed(let what): return .printed(what)
            case .launch(let configuration): return try start(configuration)
            }
        })
    }

    /// Runs `configuration`; the modules are shut down on every path out.
    func run(_ configuration: LaunchConfiguration) -> Outcome {
        finish(outcome { try start(configuration) })
    }

    /// What `body` ended with, or the failure it threw.
    private func outcome(_ body: () throws -> Outcome) -> Outcome {
        do {
            return try body()
        } catch let error as MonitorError {
            return .failure(error.failureClass, message: error.description)
        } catch let error as KVMError {
            return .failure(.startup, message: error.description)
        } catch {
            return .failure(.startup, message: "\(error)")
        }
    }

    /// Every module shut down, and whether the guest's disks were synced.
    private func finish(_ outcome: Outcome) -> Outcome {
        let synced = modules.reduce(true) { $1.shutdown() && $0 }
        if case .guestExited(let status, _) = outcome {
            return .guestExited(status: status, synced: synced)
        }
        return outcome
    }

    /// The modules take the configuration's devices and options.
    private func configure(_ configuration: LaunchConfiguration) {
        block.configuration = configuration.block
        net.configuration = configuration.net
        debug.configuration = configuration.debug
    }

    private func start(_ configuration: LaunchConfiguration) throws -> Outcome {
        // The command line's parser checks this too, with the same error;
        // other front ends build the bytes themselves.
        guard configuration.commandLine.count <= BootInfo.commandLineMax else {
            throw MonitorError.commandLineTooLong(configuration.commandLine.count)
        }
        configure(configuration)
        let image = configuration.image.elf, plan = configuration.image.plan

        // 1. Devices: manifest matching, then each module opens its own.
        var manifest = image.manifest
        try DeviceBinding.attach(modules, to: &manifest)
        if let legacy = configuration.legacy { Console.out(try legacy.announcement(manifest)) }

        // 2. Guest memory, as planned: the guest's, and the ring above it;
        // the image, page tables, GDT (and TSS).
        let memory = try GuestMemory(size: plan.total)
        try image.load(into: memory, zeroFilled: true)
        image.dropFile()

        // 3. KVM: one VM, one memory slot, one vCPU in the entry state (page
        // tables, GDT, TSS and registers, with what its CPU has); then what
        // the net module shares with the guest (the ring).
        let vcpu = try makeVCPU(memory: memory, guestSize: plan.guest, image: image,
                                cpuidCache: configuration.cpuidCache.cache)
        try net.prepare(vm: vcpu.vm, memory: memory, reserved: configuration.image.ringAt)

        // 4. Boot info, with the TSC frequency and the filled-in manifest.
        var info = ukvm_boot_info()
        info.mem_size = plan.guest
        info.kernel_end = image.kernelEnd
        info.cpu_cycle_freq = try vcpu.tscFrequency()
        core.console = try ConsoleBuffer.offered(for: image, memory: memory, allowed: configuration.consoleBuffer)
        for m in modules { m.describe(&info) }
        _ = try BootInfo.write(info, to: memory, manifest: manifest, commandLine: configuration.commandLine)
        // The image's code and read-only data, read-only from now on (W^X);
        // not for a debugger, which writes its breakpoints into the code.
        // In the monitor's mapping too when the guest's own page tables
        // could make them writable (CPL 0); a CPL3 image's cannot, and a
        // writable mapping lets KVM map them ahead (GuestMemory.protect).
        if !runParticipants.contains(where: { $0.writesGuestCode }) {
            try memory.protect(image.protection.ranges.map { ($0.start, $0.end) }, inMapping: image.cpl3 == nil)
        }

        // 5. Hypercalls and signals.
        let wait = try DeviceWait(pollDescriptors)
        var table = HypercallTable()
        for m in modules { try m.registerHypercalls(&table, memory: memory, wait: wait) }
        Signals.install()
        if core.console != nil { Signals.useConsoleAlarm() }
        if let mask = Signals.runMask { try vcpu.setSignalMask(mask) }
        // The VM, its memory and the wait live until the process exits:
        // releasing them would cost calls (munmap, close) the sandbox would
        // then have to allow, and exit releases them anyway.
        Launch.keptUntilExit += [vcpu, memory, wait] as [AnyObject]

        // 6. What the run needs opened before the sandbox (a debugger, the
        // core file directory), the sandbox, then the run.
        let guest = GuestContext(vcpu: vcpu, memory: memory, imagePath: configuration.image.path.description)
        var hooks: [ExitHook] = []
        for m in runParticipants {
            if let hook = try m.prepareRun(guest) { hooks.append(hook) }
        }
        // What set-up freed (the image file's bytes, above all) goes back to
        // the kernel now: free() keeps it in the heap, and an idle guest's
        // monitor would carry it for the whole run (docs/density.md).
        csys_malloc_trim()
        try LaunchHooks.beforeSandbox?()
        if configuration.sandbox { try enterSandbox(vcpu: vcpu.fd, wait: wait) }
        TestHooks.afterSandbox?(vcpu.fd)
        let result = RunLoop(vcpu: vcpu, hypercalls: table, memory: memory, hooks: hooks,
                             console: core.console).run()

        // 7. What the modules do with the ending (a core file), in the sandbox.
        notes = runParticipants.compactMap { $0.runEnded(result, guest: guest) }
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
            + ViolationReport.sandboxNeeds(disks: durableDescriptors)
            + Sandbox.runtimeNeeds
    }

    private func enterSandbox(vcpu: Int32, wait: DeviceWait) throws(MonitorError) {
        let policy = SandboxPolicy(sandboxNeeds(vcpu: vcpu, wait: wait))
        ViolationReport.install(policy: policy, program: personality.programName,
                                disks: durableDescriptors,
                                status: ExitStatus.sandboxStop(as: personality))
        try Sandbox.enter(policy)
    }

    /// A vCPU of a new VM over `memory`, in the entry state for `image`
    /// with `guestSize` bytes of the guest's own memory; its CPUID from
    /// `cpuidCache` where that holds this host's.
    private func makeVCPU(memory: GuestMemory, guestSize: UInt64, image: ELFImage,
                          cpuidCache: SupportedCPUIDCache?) throws -> VCPU {
        let kvm: KVM
        do { kvm = try KVM() } catch { throw MonitorError.setup(error.reason) }
        let vm = try kvm.createVM()
        try vm.setMemory(base: memory.base, size: memory.size)
        let vcpu = try vm.createVCPU(id: 0)
        let cpu = try vcpu.setSupportedCPUID(cache: cpuidCache)
        // Without FSGSBASE a CPL-3 guest cannot set its TLS base itself.
        tls.offered = !cpu.fsgsbase
        try EntryState.buildMemory(memory, cpl3: image.cpl3, protection: image.protection, nx: cpu.nx,
                                   zeroFilled: true)
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
