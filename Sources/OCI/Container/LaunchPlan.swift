// LaunchPlan.swift: everything `create` works out before the guest can be
// started: the image (read once and checked with the monitor's own parser,
// against the memory planned for it), a file for each block device, an
// interface for each network device, and the guest's command line. Anything
// the image needs that the spec does not give is one error here, so it
// surfaces at create. `start` turns the plan and the taps it made into the
// monitor's LaunchConfiguration.

import Glibc
import Monitor
import Support

struct LaunchPlan {
    struct Block {
        let name: String
        let path: String
        let fd: Int32
    }

    struct Net {
        let name: String
        let interface: String
    }

    /// The image's path in the container, for messages.
    let imagePath: String
    /// The image, read and checked, and the guest's memory.
    let image: PlannedImage
    let blocks: [Block]
    let nets: [Net]
    /// process.args after the image, placeholders not yet filled in.
    let guestArgs: [String]
    let network: RuntimeSpec.NetworkNamespace

    /// Every fd the plan holds, which the container process keeps: the
    /// disks, and the image's file, from which its segments are read when
    /// the guest starts.
    var fds: [Int32] { blocks.map(\.fd) + (image.elf.fileDescriptor.map { [$0] } ?? []) }

    func close() {
        for b in blocks { _ = Glibc.close(b.fd) }
        image.elf.dropFile()
    }

    /// Opens and checks everything `spec` (with the rootfs at `rootfs`) asks for.
    static func make(spec: RuntimeSpec, rootfs: String) throws(OCIError) -> LaunchPlan {
        let files = ContainerFiles(rootfs: rootfs, mounts: spec.mounts)
        let memoryMiB = try Conventions.memoryMiB(spec)
        let imagePath = spec.args[0]
        let image = try planImage(files: files, path: imagePath, memoryMiB: memoryMiB)
        var blocks: [Block] = []
        do throws(OCIError) {
            var nets: [Net] = []
            for device in image.elf.manifest.entries.dropFirst() {
                switch device.type {
                case .blockBasic:
                    blocks.append(try block(device.name, files: files, spec: spec, imagePath: imagePath))
                case .netBasic:
                    nets.append(Net(name: device.name,
                                    interface: Conventions.interface(device.name, index: nets.count, spec: spec)))
                case .reservedFirst:
                    continue
                }
            }
            try checkNetwork(nets, spec, imagePath: imagePath)
            let guestArgs = Array(spec.args.dropFirst())
            if Placeholders.present(guestArgs) && nets.isEmpty {
                throw OCIError("process.args has {{...}} placeholders but \(imagePath) has no network device")
            }
            return LaunchPlan(imagePath: imagePath, image: image, blocks: blocks, nets: nets,
                              guestArgs: guestArgs, network: spec.network)
        } catch {
            for b in blocks { Glibc.close(b.fd) }
            throw error
        }
    }

    /// Block device `name`'s file, opened read-write.
    private static func block(_ name: String, files: ContainerFiles, spec: RuntimeSpec,
                              imagePath: String) throws(OCIError) -> Block {
        let path = Conventions.blockPath(name, spec: spec)
        do throws(OCIError) {
            return Block(name: name, path: path, fd: try files.open(path, flags: O_RDWR).fd)
        } catch {
            throw OCIError("\(imagePath): block device '\(name)': \(error.message); "
                + "put its disk at \(Conventions.blockDirectory)\(name) in the image, bind-mount "
                + "one there, or name it with annotation \(Conventions.blockAnnotation)\(name)")
        }
    }

    /// The image, read once through a descriptor opened inside the rootfs,
    /// and checked against the memory planned for it (with the network
    /// ring, if its network devices get one); the container path in messages.
    private static func planImage(files: ContainerFiles, path: String,
                                  memoryMiB: UInt64) throws(OCIError) -> PlannedImage {
        let (fd, _) = try files.open(path, flags: O_RDONLY)
        defer { Glibc.close(fd) }
        let fdPath = Argument("/proc/self/fd/\(fd)")
        do throws(MonitorError) {
            let elf = try PlannedImage.read(fdPath)
            let nets = elf.manifest.entries.filter { $0.type == .netBasic }.count
            let ring = NetConfiguration.ringReservation(devices: nets, choice: nil, image: elf)
            return try PlannedImage(elf, path: Argument(path), memory: memoryMiB << 20, ring: ring)
        } catch {
            throw OCIError(error.description.replacing(fdPath.description, with: path))
        }
    }

    /// Network devices are served only from a container network namespace
    /// that someone prepared (NETWORK RULE: nothing in the host's).
    /// A namespace path that is the host's (HostNetwork) is host networking;
    /// a new one is refused unless a create-time hook (Docker's network
    /// set-up) may fill it before the interfaces are read.
    private static func checkNetwork(_ nets: [Net], _ spec: RuntimeSpec, imagePath: String) throws(OCIError) {
        guard let first = nets.first else { return }
        switch spec.network {
        case .host:
            throw OCIError("\(imagePath): network device '\(first.name)' needs a container network namespace; "
                + "the container shares the host's, and ukvm-oci creates nothing there")
        case .new where !spec.hooks.runAtCreate:
            throw OCIError("\(imagePath): network device '\(first.name)' needs interface \(first.interface), "
                + "but the container's network namespace is new and empty; join a prepared one "
                + "(CNI, or ctr run --with-ns network:PATH)")
        case .path(let path) where HostNetwork.isHost(path):
            throw OCIError("\(imagePath): network device '\(first.name)' needs a container network namespace; "
                + "\(path) is the host's (host networking), and ukvm-oci changes no interface there")
        case .new, .path:
            break
        }
    }

    /// The monitor's configuration for this plan, with the network devices
    /// on the taps `start` made and the guest arguments filled in.
    func configuration(nets: [NetConfiguration.Device], macs: [String: [UInt8]],
                       guestArgs: [String]) -> LaunchConfiguration {
        var configuration = LaunchConfiguration(image: image)
        // The monitor opens each disk again, read-write, through its
        // descriptor here: as a path given on its command line would be.
        configuration.block.devices = blocks.map { .init(name: $0.name, path: Argument("/proc/self/fd/\($0.fd)")) }
        configuration.net.devices = nets
        configuration.net.macs = macs
        configuration.commandLine = Array(guestArgs.joined(separator: " ").utf8)
        // No supported-CPUID cache: this monitor may be in a mount namespace
        // that is the container's (joined from the spec), where /run is not
        // the host's, and it must write no file of the container's.
        configuration.cpuidCache = .off
        return configuration
    }
}
