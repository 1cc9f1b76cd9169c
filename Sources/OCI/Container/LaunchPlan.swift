// LaunchPlan.swift: everything `create` works out before the guest can be
// started: the image (opened and validated with the monitor's own parser),
// its memory, a file for each block device, an interface for each network
// device, and the guest's command line. Anything the image needs that the
// spec does not give is one error here, so it surfaces at create.

import Glibc
import Image
import Monitor

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

    let imagePath: String
    let imageFD: Int32
    let memoryMiB: UInt64
    let blocks: [Block]
    let nets: [Net]
    /// process.args after the image, placeholders not yet filled in.
    let guestArgs: [String]
    let network: RuntimeSpec.NetworkNamespace

    /// Every fd the plan holds, which the container process keeps.
    var fds: [Int32] { [imageFD] + blocks.map(\.fd) }

    func close() {
        for fd in fds { _ = Glibc.close(fd) }
    }

    /// Opens and checks everything `spec` (with the rootfs at `rootfs`) asks for.
    static func make(spec: RuntimeSpec, rootfs: String) throws(OCIError) -> LaunchPlan {
        let files = ContainerFiles(rootfs: rootfs, mounts: spec.mounts)
        let memoryMiB = try Conventions.memoryMiB(spec)
        let imagePath = spec.args[0]
        let (imageFD, _) = try files.open(imagePath, flags: O_RDONLY)
        var blocks: [Block] = []
        do throws(OCIError) {
            let image = try inspect(fd: imageFD, path: imagePath, memoryMiB: memoryMiB)
            var nets: [Net] = []
            for device in image.devices {
                switch device.kind {
                case .block:
                    let path = Conventions.blockPath(device.name, spec: spec)
                    let fd: Int32
                    do throws(OCIError) {
                        fd = try files.open(path, flags: O_RDWR).fd
                    } catch {
                        throw OCIError("\(imagePath): block device '\(device.name)': \(error.message); "
                            + "put its disk at \(Conventions.blockDirectory)\(device.name) in the image, bind-mount "
                            + "one there, or name it with annotation \(Conventions.blockAnnotation)\(device.name)")
                    }
                    blocks.append(Block(name: device.name, path: path, fd: fd))
                case .net:
                    nets.append(Net(name: device.name,
                                    interface: Conventions.interface(device.name, index: nets.count, spec: spec)))
                }
            }
            try checkNetwork(nets, spec.network, imagePath: imagePath)
            let guestArgs = Array(spec.args.dropFirst())
            if Placeholders.present(guestArgs) && nets.isEmpty {
                throw OCIError("process.args has {{...}} placeholders but \(imagePath) has no network device")
            }
            return LaunchPlan(imagePath: imagePath, imageFD: imageFD, memoryMiB: memoryMiB, blocks: blocks,
                              nets: nets, guestArgs: guestArgs, network: spec.network)
        } catch {
            Glibc.close(imageFD)
            for b in blocks { Glibc.close(b.fd) }
            throw error
        }
    }

    /// The image through its fd, with the container path in messages.
    private static func inspect(fd: Int32, path: String, memoryMiB: UInt64) throws(OCIError) -> Solo5Image {
        let fdPath = "/proc/self/fd/\(fd)"
        do throws(Solo5ImageError) {
            return try Solo5Image.inspect(path: fdPath, memoryBytes: memoryMiB << 20)
        } catch {
            throw OCIError(error.message.replacing(fdPath, with: path))
        }
    }

    /// Network devices are served only from a container network namespace
    /// that someone prepared (NETWORK RULE: nothing in the host's).
    private static func checkNetwork(_ nets: [Net], _ network: RuntimeSpec.NetworkNamespace,
                                     imagePath: String) throws(OCIError) {
        guard let first = nets.first else { return }
        switch network {
        case .host:
            throw OCIError("\(imagePath): network device '\(first.name)' needs a container network namespace; "
                + "the container shares the host's, and ukvm-oci creates nothing there")
        case .new:
            throw OCIError("\(imagePath): network device '\(first.name)' needs interface \(first.interface), "
                + "but the container's network namespace is new and empty; join a prepared one "
                + "(CNI, or ctr run --with-ns network:PATH)")
        case .path:
            break
        }
    }

    /// The monitor's command line for this plan, with the taps attached and
    /// the guest arguments filled in.
    func monitorArguments(taps: [(name: String, fd: Int32, mac: [UInt8])], guestArgs: [String]) -> [String] {
        var args = ["ukvm", "--mem=\(memoryMiB)"]
        for b in blocks { args.append("--block:\(b.name)=/proc/self/fd/\(b.fd)") }
        for t in taps {
            args.append("--net:\(t.name)=@\(t.fd)")
            args.append("--net-mac:\(t.name)=\(MACText.format(t.mac))")
        }
        return args + ["--", "/proc/self/fd/\(imageFD)"] + guestArgs
    }
}
