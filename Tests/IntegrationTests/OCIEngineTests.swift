// OCIEngineTests.swift: unikernels under the engines people run, Docker
// (docker.io 20.10) and podman (4.3), each started by the test with state
// of its own inside a network namespace the test made (Dockerd.swift,
// Podman.swift), once per engine: every case runs against that one daemon,
// which goes (containers, mounts, cgroups, namespace) when the test ends,
// however it ends. The runc side runs a static busybox image built here.

import Foundation
import Testing
import TestSupport

@Suite("ukvm-oci under Docker and podman", .serialized)
struct OCIEngineTests {
    /// The images every case uses, loaded into the engine once.
    struct Images {
        static let hello = "localhost/ukvmtest/hello:latest"
        static let status = "localhost/ukvmtest/status:latest"
        static let spin = "localhost/ukvmtest/spin:latest"
        static let net = "localhost/ukvmtest/net:latest"
        static let busybox = "localhost/ukvmtest/busybox:latest"
        static let memtouch = "localhost/ukvmtest/memtouch:latest"
        static let yield = "localhost/ukvmtest/yield:latest"

        static func load(into engine: ContainerEngine) throws {
            let dir = TempDirectory(name: "engine-images")
            let unikernels: [(String, String, [String])] = [
                ("hello", hello, ["from", "an", "engine"]), ("status", status, ["7"]),
                ("spin", spin, ["1000000000000000"]), ("net", net, ["{{service0.ip}}"]),
                ("memtouch", memtouch, []), ("yield", yield, ["100", "1000000000"]),
            ]
            for (image, ref, args) in unikernels {
                let archive = dir.path + "/\(image).tar"
                let r = run([binPath("ukvm-oci"), "image", "--output", archive, "--name", ref, ukvmImage(image)] + args)
                guard r.status == 0 else { throw SetupError("ukvm-oci image: \(r)") }
                try engine.load(archive)
            }
            try writeBusyboxImage(dir.path + "/busybox.tar", reference: busybox)
            try engine.load(dir.path + "/busybox.tar")
        }
    }

    @Test(.enabled(if: dockerUnavailable == nil, "needs root, /dev/kvm, docker.io and busybox-static"))
    func docker() throws {
        let docker = try Dockerd()
        try everyCase(docker)
    }

    @Test(.enabled(if: podmanUnavailable == nil, "needs root, /dev/kvm, podman, CNI plugins and busybox-static"))
    func podman() throws {
        let podman = try Podman()
        try everyCase(podman)
    }

    func everyCase(_ engine: ContainerEngine) throws {
        try Images.load(into: engine)
        hello(engine)
        guestStatus(engine)
        stopBySIGTERM(engine)
        memoryLimit(engine)
        memoryTouchedNotOOMKilled(engine)
        stats(engine)
        topAndPause(engine)
        terminal(engine)
        execRefused(engine)
        netUnikernelAnswersARuncContainer(engine)
        hostNetworkRefused(engine)
    }

    /// `run --rm` with the engine's default network: the guest's output,
    /// its command line from the image, status 0.
    func hello(_ e: ContainerEngine) {
        let r = e.cli(["run", "--rm"] + e.ukvmRuntime + [Images.hello])
        #expect(r.status == 0, "\(e.name): \(r)")
        #expect(r.output.contains("hello\nworld\n") && r.output.contains("cmdline: from an engine"), "\(e.name): \(r)")
    }

    func guestStatus(_ e: ContainerEngine) {
        let r = e.cli(["run", "--rm"] + e.ukvmRuntime + [Images.status])
        #expect(r.status == 7, "\(e.name): \(r)")
    }

    /// `stop` sends SIGTERM: the monitor stops the guest cleanly, 128+15.
    func stopBySIGTERM(_ e: ContainerEngine) {
        let started = e.cli(["run", "-d", "--name", "spin1"] + e.ukvmRuntime + [Images.spin])
        #expect(started.status == 0, "\(e.name): \(started)")
        #expect(e.waitForLog("spin1", "spin: running"), "\(e.name): the guest did not start")
        let stop = e.cli(["stop", "-t", "10", "spin1"])
        #expect(stop.status == 0, "\(e.name): \(stop)")
        #expect(e.exitCode("spin1") == 143, "\(e.name): \(e.cli(["inspect", "spin1"]))")
        #expect(e.cli(["rm", "spin1"]).status == 0)
    }

    /// --memory sizes the guest: what the limit leaves beside the monitor
    /// (docs/oci.md, Memory: 54 MiB of 64).
    func memoryLimit(_ e: ContainerEngine) {
        let r = e.cli(["run", "--rm", "--memory", "64m"] + e.ukvmRuntime + [Images.hello])
        #expect(r.status == 0 && r.output.contains("Memory map: 54 MB addressable"), "\(e.name): \(r)")
    }

    /// -t: the console comes through the engine's terminal (script(1)
    /// gives the engine's CLI one).
    func terminal(_ e: ContainerEngine) {
        let argv = e.command(["run", "--rm", "-t"] + e.ukvmRuntime + [Images.hello])
        let r = sh("script -qec '\(argv.joined(separator: " "))' /dev/null")
        #expect(r.status == 0 && r.output.contains("cmdline: from an engine"), "\(e.name): \(r)")
    }

    /// exec is refused with ukvm-oci's reason; the guest runs on.
    func execRefused(_ e: ContainerEngine) {
        #expect(e.cli(["run", "-d", "--name", "spin2"] + e.ukvmRuntime + [Images.spin]).status == 0)
        let r = e.cli(["exec", "spin2", "/bin/sh"])
        #expect(r.status != 0 && (r.output + r.errorOutput).contains("exec is not supported by ukvm-oci"),
                "\(e.name): \(r)")
        #expect(e.cli(["inspect", "-f", "{{.State.Running}}", "spin2"]).output.hasPrefix("true"))
        e.cli(["rm", "-f", "spin2"])
    }

    /// A net unikernel on the engine's default network (Docker's bridge set
    /// up by its prestart hook; podman's CNI bridge) answers ping from a
    /// second container, busybox under runc, on the same network.
    func netUnikernelAnswersARuncContainer(_ e: ContainerEngine) {
        let started = e.cli(["run", "-d", "--name", "net1"] + e.ukvmRuntime + [Images.net])
        #expect(started.status == 0, "\(e.name): \(started)")
        defer { e.cli(["rm", "-f", "net1"]) }
        #expect(e.waitForLog("net1", "net: serving"), "\(e.name): \(e.cli(["logs", "net1"]))")
        let ip = e.address("net1")
        #expect(!ip.isEmpty, "\(e.name): no address")
        let ping = e.cli(["run", "--rm"] + e.runcRuntime + [Images.busybox, "ping", "-c", "3", "-W", "5", ip])
        #expect(ping.status == 0 && ping.output.contains("3 packets received"), "\(e.name): \(ping)")
    }

    /// --network host: a network image is refused in one line, and the
    /// engine namespace's eth0 (a veth to a second namespace) keeps
    /// carrying its own traffic, with no redirect put on it; an image
    /// without network devices runs.
    func hostNetworkRefused(_ e: ContainerEngine) {
        guard let peer = try? NetNamespace() else {
            Issue.record("\(e.name): no peer namespace")
            return
        }
        do {
            try e.netns.addVeth("eth0", address: "10.251.0.1/24", peer: peer, peerName: "peer0",
                                peerAddress: "10.251.0.2/24")
        } catch {
            Issue.record("\(e.name): \(error)")
            return
        }
        let pinger = try? Background(peer.exec(["ping", "-i", "0.2", "10.251.0.1"]))
        let r = e.cli(["run", "--rm", "--network", "host"] + e.ukvmRuntime + [Images.net])
        #expect(r.status != 0, "\(e.name): \(r)")
        #expect(r.errorOutput.contains("needs a container network namespace"), "\(e.name): \(r)")
        let status = e.cli(["run", "--rm", "--network", "host"] + e.ukvmRuntime + [Images.status])
        #expect(status.status == 7, "\(e.name): \(status)")
        let filters = sh("tc -n \(e.netns.name) filter show dev eth0 ingress; tc -n \(e.netns.name) qdisc show dev eth0")
        #expect(!filters.output.contains("mirred") && !filters.output.contains("ingress"), "\(filters)")
        let after = run(peer.exec(["ping", "-c", "2", "-W", "2", "10.251.0.1"]))
        #expect(after.status == 0, "\(e.name): eth0 stopped carrying traffic: \(after)")
        pinger?.stop()
        #expect(pinger?.output.contains("bytes from 10.251.0.1") == true, "\(pinger?.output ?? "")")
    }
}
