// CommandLineLaunch.swift: the command line's front end (`ukvm`,
// `solo5-hvt`): flags to a LaunchConfiguration. The modules read their own
// flags into their configurations; the image is read once, the original
// `KERNEL DISK TAP` form rewritten with its manifest, the memory planned
// with the ring the net flags ask for, and the image checked against it.

import Support

extension Launch {
    /// What the command line asks for.
    enum CommandLineRequest {
        /// --help or --version, printed.
        case printed(Options.Action)
        case launch(LaunchConfiguration)
    }

    /// Parses `args` (without the program name) into a configuration, or
    /// prints --help or --version.
    func configuration(_ args: [Argument]) throws(MonitorError) -> CommandLineRequest {
        var options = try parser.parse(args, modules: modules)
        if let printed = printIfAsked(options.action) { return .printed(printed) }
        for w in options.warnings { Console.error(w) }
        let elf = try PlannedImage.read(options.kernel)
        if let legacy = options.legacy {
            let (flags, warnings) = legacy.flags(for: elf.manifest)
            for w in warnings { Console.error(w) }
            for f in flags { try parser.apply(f, to: &options, modules: modules) }
        }
        let ring = NetConfiguration.ringReservation(devices: net.configuration.devices.count,
                                             choice: net.configuration.ring, image: elf)
        var configuration = LaunchConfiguration(
            image: try PlannedImage(elf, path: options.kernel, memory: options.memorySize, ring: ring))
        configuration.block = block.configuration
        configuration.net = net.configuration
        configuration.debug = debug.configuration
        configuration.commandLine = options.commandLine
        configuration.sandbox = options.sandbox
        configuration.consoleBuffer = options.consoleBuffer
        configuration.cpuidCache = options.cpuidCache
        configuration.legacy = options.legacy
        return .launch(configuration)
    }

    /// Prints --help or --version (on stdout as ukvm, stderr as solo5-hvt,
    /// as upstream's tender does); nil for a run.
    private func printIfAsked(_ action: Options.Action) -> Options.Action? {
        let fd: Int32 = personality == .ukvm ? 1 : 2
        switch action {
        case .help: Console.write(fd, OptionParser.usage(modules: modules, as: personality))
        case .version: Console.write(fd, OptionParser.version(as: personality))
        case .run: return nil
        }
        return action
    }
}
