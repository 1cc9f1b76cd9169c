// Monitor.swift: the start-up sequence, top to bottom, and how each run ends.

import Glibc

enum Monitor {
    /// Every module, in the order of their flags in --help, their setup and
    /// their shutdown. The core comes first: the others may rely on it.
    static func makeModules() -> (core: CoreModule, block: BlockModule, net: NetModule, all: [MonitorModule]) {
        let core = CoreModule()
        let block = BlockModule()
        let net = NetModule()
        return (core, block, net, [core, block, net])
    }

    /// Runs the monitor with `arguments` (argv, program name first) and exits.
    static func main(_ arguments: [String]) -> Never {
        let modules = makeModules()
        do {
            try run(Array(arguments.dropFirst()), modules)
        } catch let error as MonitorError {
            fail(error.description, code: error.failureClass.exitCode, modules.all)
        } catch let error as KVMError {
            fail(error.description, code: ExitCode.startFailure, modules.all)
        } catch {
            fail("\(error)", code: ExitCode.startFailure, modules.all)
        }
    }

    private static func fail(_ message: String, code: Int32, _ modules: [MonitorModule]) -> Never {
        Console.error(message)
        for m in modules { _ = m.shutdown() }
        exit(code)
    }

    /// Matches the modules' devices to the manifest: every attached device
    /// must be declared with its type, and every declared one attached.
    static func bindDevices(_ manifest: Manifest, _ modules: [MonitorModule]) throws(MonitorError) {
        var bound = Set<Int>()
        for m in modules {
            for h in try m.bind(manifest) { bound.insert(h) }
        }
        for (h, e) in manifest.entries.enumerated() where h > 0 && !bound.contains(h) {
            let flag = e.type == .blockBasic ? "--block:\(e.name)=PATH" : "--net:\(e.name)=TAP"
            throw .deviceNotAttached(name: e.name, flag: flag)
        }
    }

    private static func run(_ args: [String],
                            _ modules: (core: CoreModule, block: BlockModule, net: NetModule,
                                        all: [MonitorModule])) throws -> Never {
        // 1. Command line.
        let options = try OptionParser().parse(args, modules: modules.all)
        switch options.action {
        case .help:
            Console.out(OptionParser.usage(modules: modules.all))
            exit(0)
        case .version:
            Console.out(OptionParser.version)
            exit(0)
        case .run:
            break
        }

        // 2. The image, validated for the memory we will give it.
        let memorySize = modules.core.memorySize
        let image = try ELF.read(path: options.kernel, memorySize: memorySize)
        let (needed, overflow) = image.kernelEnd.addingReportingOverflow(1 << 20)
        guard !overflow, needed <= memorySize else {
            throw MonitorError.memorySize("\(options.kernel): the image ends at \(hex(image.kernelEnd)) "
                + "and needs 1 MiB above it: \(memorySize >> 20) MiB of guest memory is too small (--mem)")
        }

        // 3. Devices: legacy form, manifest matching, then opening them.
        let manifest = image.manifest
        if let legacy = options.legacy {
            // The disk is checked and announced even if the image declares
            // no block device (as the seed monitor did); the tap only if used.
            modules.block.attachLegacy(name: manifest.first(.blockBasic).map { manifest.entries[$0].name },
                                       path: legacy.disk)
            if let h = manifest.first(.netBasic) {
                modules.net.attachLegacy(name: manifest.entries[h].name, tap: legacy.tap)
            } else {
                Console.error("warning: the image declares no network device; ignoring TAP '\(legacy.tap)'")
            }
        }
        try bindDevices(manifest, modules.all)
        let context = ModuleContext(manifest: manifest)
        for m in modules.all { try m.setup(context) }
        modules.block.announceLegacyDisk()

        // 4. Guest memory: image, page tables, GDT (and TSS).
        let memory = try GuestMemory(size: memorySize)
        try image.load(into: memory)
        try X86Setup.buildMemory(memory, cpl3: image.cpl3)

        // 5. KVM: one VM, one memory slot, one vCPU in the entry state.
        let kvm = try KVM()
        let vm = try kvm.createVM()
        try vm.setMemory(memory)
        let vcpu = try vm.createVCPU(id: 0)
        let fsgsbase = try vcpu.setSupportedCPUID()
        try vcpu.setSpecialRegisters(X86Setup.specialRegisters(try vcpu.specialRegisters(), cpl3: image.cpl3,
                                                               fsgsbase: fsgsbase))
        try vcpu.setRegisters(X86Setup.registers(entry: image.entry, memorySize: memorySize,
                                                 cpl3: image.cpl3 != nil))

        // 6. Boot info, with the TSC frequency and the filled-in manifest.
        _ = try BootInfo.write(to: memory, kernelEnd: image.kernelEnd,
                               cpuCycleFrequency: try vcpu.tscFrequency(),
                               hostFeatures: modules.all.reduce(0) { $0 | $1.hostFeatures },
                               manifest: context.manifest, commandLine: options.commandLine)

        // 7. Hypercalls, signals, run.
        var table = HypercallTable()
        for m in modules.all { try m.registerHypercalls(&table, memory: memory, context: context) }
        Signals.install(immediateExit: vcpu.immediateExit)
        let outcome = RunLoop(vcpu: vcpu, hypercalls: table).run()

        // 8. The end: sync devices, report, exit. A guest that ended well
        // whose data did not reach the disk did not end well.
        let synced = modules.all.reduce(true) { $1.shutdown() && $0 }
        switch outcome {
        case .halted(let status):
            exit(synced || status != 0 ? status : ExitCode.hostError)
        case .signal(let signo):
            Console.error("stopped by signal \(signo)")
            exit(ExitCode.signalBase + signo)
        case .guestFault(let cause):
            let rip = (try? vcpu.registers()).map { hex($0.rip) } ?? "unknown"
            Console.error("guest fault: \(cause) at rip=\(rip)")
            exit(ExitCode.guestFault)
        case .hostError(let message):
            Console.error(message)
            exit(ExitCode.hostError)
        }
    }
}
