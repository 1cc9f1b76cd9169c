// OCIContainerdTests.swift: unikernels as containers, end to end: images
// built by `ukvm-oci image`, imported into a containerd of the test's own,
// run by containerd's stock runc shim with ukvm-oci as its runc binary.
// Network tests join namespaces the test made; nothing is created in the
// machine's main network namespace.

import Foundation
import Testing
import TestSupport

@Suite("ukvm-oci under containerd", .serialized,
       .enabled(if: containerdUnavailable == nil, "needs root, /dev/kvm and containerd"))
struct OCIContainerdTests {
    /// An image archive of build/ukvm/NAME.ukvm with `args` and `disks`.
    func image(_ name: String, _ args: [String] = [],
               disks: [String: String] = [:]) throws -> (archive: TempFile, ref: String) {
        let archive = TempFile(size: 0, name: "\(name).oci.tar")
        let ref = "localhost/ukvmtest/\(name):latest"
        var argv = [binPath("ukvm-oci"), "image", "--output", archive.path, "--name", ref]
        for (device, path) in disks { argv += ["--disk", "\(device)=\(path)"] }
        let r = run(argv + [ukvmImage(name)] + args)
        guard r.status == 0 else { throw SetupError("ukvm-oci image: \(r)") }
        return (archive, ref)
    }

    /// Everything a finished container must not leave: state, processes.
    func expectNothingLeft(_ containerd: Containerd, pid: Int32? = nil) {
        #expect(containerd.stateEntries.isEmpty, "state left: \(containerd.stateEntries)")
        if let pid { #expect(kill(pid, 0) != 0, "process \(pid) is still there") }
    }

    /// Whether the container's namespace holds one of ukvm-oci's taps.
    func hasTap(_ ns: NetNamespace) -> Bool {
        sh("ip -n \(ns.name) -o link show | grep -q ': ukvm[0-9]*-'").status == 0
    }

    @Test func hello() throws {
        let containerd = try Containerd()
        let (archive, ref) = try image("hello", ["from", "containerd"])
        try containerd.importImage(archive.path)
        let r = containerd.ctr(["run", "--rm"] + containerd.ukvmOCI + [ref, "hello1"])
        #expect(r.status == 0, "\(r)")
        #expect(r.output.contains("hello\nworld\n"), "\(r)")
        #expect(r.output.contains("cmdline: from containerd"), "\(r)")
        expectNothingLeft(containerd)
        #expect(containerd.ctr(["container", "ls", "-q"]).output.isEmpty)
    }

    /// process.terminal: `ctr run -t` (under script(1), which gives ctr a
    /// terminal) gets the master of ukvm-oci's pty over the console socket,
    /// and the guest's console comes through it.
    @Test(.enabled(if: sh("command -v script").status == 0, "needs script (util-linux)"))
    func terminal() throws {
        let containerd = try Containerd()
        let (archive, ref) = try image("hello", ["on", "a", "tty"])
        try containerd.importImage(archive.path)
        let ctr = (containerd.ctrCommand(["run", "-t", "--rm"] + containerd.ukvmOCI + [ref, "tty1"]))
            .dropFirst().joined(separator: " ")
        let r = sh("script -qec '\(ctr)' /dev/null")
        #expect(r.status == 0, "\(r)")
        #expect(r.output.contains("cmdline: on a tty"), "\(r)")
        expectNothingLeft(containerd)
    }

    /// ctr run with arguments replaces the image's whole command, so the
    /// unikernel's path comes first.
    @Test func guestStatusIsTheContainersStatus() throws {
        let containerd = try Containerd()
        let (archive, ref) = try image("status", ["0"])
        try containerd.importImage(archive.path)
        let r = containerd.ctr(["run", "--rm"] + containerd.ukvmOCI + [ref, "status7", "/status.ukvm", "7"])
        #expect(r.status == 7, "\(r)")
        expectNothingLeft(containerd)
    }

    @Test func blockDeviceFromTheImage() throws {
        let containerd = try Containerd()
        let disk = TempFile(size: 256 * 512)
        let (archive, ref) = try image("blk", disks: ["storage": disk.path])
        try containerd.importImage(archive.path)
        let r = containerd.ctr(["run", "--rm"] + containerd.ukvmOCI + [ref, "blk1"])
        #expect(r.status == 0, "\(r)")
        #expect(r.output.contains("SUCCESS"), "\(r)")
        expectNothingLeft(containerd)
    }

    /// A disk bind-mounted at /solo5/block/NAME: the guest writes the host
    /// file itself.
    @Test func blockDeviceFromABindMount() throws {
        let containerd = try Containerd()
        let disk = TempFile(size: 256 * 512)
        let (archive, ref) = try image("blk")
        try containerd.importImage(archive.path)
        let mount = "type=bind,src=\(disk.path),dst=/solo5/block/storage,options=rbind:rw"
        let r = containerd.ctr(["run", "--rm", "--mount", mount] + containerd.ukvmOCI + [ref, "blk2"])
        #expect(r.status == 0, "\(r)")
        #expect(r.output.contains("SUCCESS"), "\(r)")
        #expect(try disk.contents().contains { $0 != 0 }, "the guest's writes are not in the host file")
    }

    /// The guest answers ping through the container's eth0: a veth whose
    /// peer lives in a second namespace, where ping runs. `-n 3`: the guest
    /// exits 0 after three echo replies, so the replies were the guest's.
    @Test func netAnswersPing() throws {
        let containerd = try Containerd()
        let box = try NetNamespace(), peer = try NetNamespace()
        try box.addVeth("eth0", address: "10.71.0.2/24", peer: peer, peerName: "peer0", peerAddress: "10.71.0.1/24")
        let (archive, ref) = try image("net", ["{{service0.ip}}", "-n", "3"])
        try containerd.importImage(archive.path)
        let guest = try Background(containerd.ctrCommand(["run", "--rm", "--with-ns", "network:\(box.path)"]
                                                         + containerd.ukvmOCI + [ref, "net1"]))
        #expect(guest.waitFor("net: serving"), "\(guest.output)")
        #expect(guest.output.contains("net: service0: 10.71.0.2 mac "), "\(guest.output)")
        #expect(hasTap(box), "no tap in the container's namespace")
        let ping = run(peer.exec(["ping", "-c", "3", "-W", "5", "10.71.0.2"]), timeout: 30)
        #expect(ping.output.contains("3 received"), "\(ping)")
        let r = guest.wait(timeout: 20)
        #expect(r.status == 0, "\(r)")
        #expect(r.output.contains("net: answered 3 echo requests"), "\(r)")
        #expect(!hasTap(box), "a tap is left")
        #expect(!sh("tc -n \(box.name) qdisc show dev eth0").output.contains("ingress"), "a redirect is left")
        expectNothingLeft(containerd)
    }

    /// ctr task kill (SIGTERM) stops a running guest within a second; its
    /// status is the monitor's 128+15; ctr task delete and ctr container
    /// delete leave no tap, no redirect, no state and no process.
    @Test func killStopsTheGuest() throws {
        let containerd = try Containerd()
        let box = try NetNamespace(), peer = try NetNamespace()
        try box.addVeth("eth0", address: "10.72.0.2/24", peer: peer, peerName: "peer0", peerAddress: "10.72.0.1/24")
        let (archive, ref) = try image("net", ["{{eth0.ip}}"])
        try containerd.importImage(archive.path)
        let started = containerd.ctr(["run", "-d", "--with-ns", "network:\(box.path)"]
                                     + containerd.ukvmOCI + [ref, "kill1"])
        #expect(started.status == 0, "\(started)")
        var deadline = Date().addingTimeInterval(20)
        while !hasTap(box) && Date() < deadline { usleep(10_000) }
        #expect(hasTap(box), "the guest did not start")
        let pid = taskPID(containerd, "kill1")
        #expect(pid != nil)
        // The PID containerd knows is the monitor itself: it holds the VM
        // (the tap comes first, made before the monitor opens KVM: wait).
        var fds = sh("ls -l /proc/\(pid ?? 0)/fd").output
        deadline = Date().addingTimeInterval(20)
        while !fds.contains("kvm-vcpu") && Date() < deadline {
            usleep(10_000)
            fds = sh("ls -l /proc/\(pid ?? 0)/fd").output
        }
        #expect(fds.contains("kvm-vm") && fds.contains("kvm-vcpu"), "containerd's PID is not the monitor: \(fds)")
        #expect(containerd.stateEntries == ["kill1"])
        let kill = containerd.ctr(["task", "kill", "kill1"])
        #expect(kill.status == 0, "\(kill)")
        deadline = Date().addingTimeInterval(1)
        while !taskStopped(containerd, "kill1") && Date() < deadline { usleep(5_000) }
        #expect(taskStopped(containerd, "kill1"), "the guest was still running a second after ctr task kill")
        let delete = containerd.ctr(["task", "delete", "kill1"])
        #expect(delete.status == 0, "\(delete)")
        #expect(delete.errorOutput.contains("exit code 143"), "\(delete)")
        #expect(containerd.ctr(["container", "delete", "kill1"]).status == 0)
        #expect(!hasTap(box), "a tap is left")
        #expect(!sh("tc -n \(box.name) qdisc show dev eth0").output.contains("ingress"), "a redirect is left")
        expectNothingLeft(containerd, pid: pid)
    }

    func taskPID(_ containerd: Containerd, _ id: String) -> Int32? {
        let line = containerd.ctr(["task", "ls"]).output.split(separator: "\n").first { $0.hasPrefix(id + " ") }
        return line?.split(separator: " ").dropFirst().first.flatMap { Int32($0) }
    }

    func taskStopped(_ containerd: Containerd, _ id: String) -> Bool {
        let line = containerd.ctr(["task", "ls"]).output.split(separator: "\n").first { $0.hasPrefix(id + " ") }
        return line?.contains("STOPPED") ?? true
    }

    /// Runtime errors at create reach ctr's own error message.
    @Test func errorsReachCtr() throws {
        let containerd = try Containerd()
        let hello = try image("hello")
        let net = try image("net", ["{{service0.ip}}"])
        let blk = try image("blk")
        for i in [hello, net, blk] { try containerd.importImage(i.archive.path) }
        // An image for another target, bind-mounted into the container.
        let virtio = ["--mount", "type=bind,src=\(virtioImage("hello")),dst=/hello.virtio,options=rbind:ro"]
        let cases: [([String], String)] = [
            ([hello.ref, "e1", "/nothere.ukvm"], "/nothere.ukvm: No such file or directory"),
            (virtio + [hello.ref, "e2", "/hello.virtio"], "ABI mismatch: image is for target virtio"),
            ([net.ref, "e3"], "network device 'service0'"),
            ([blk.ref, "e4"], "block device 'storage'"),
            ([hello.ref, "e5", "/hello.ukvm", "{{eth0.ip}}"], "placeholders"),
        ]
        for (args, message) in cases {
            let flags = args.first == "--mount" ? Array(args.prefix(2)) : []
            let rest = args.first == "--mount" ? Array(args.dropFirst(2)) : args
            let r = containerd.ctr(["run", "--rm"] + flags + containerd.ukvmOCI + rest)
            #expect(r.status != 0, "\(r)")
            #expect(r.errorOutput.contains("OCI runtime create failed"), "\(r)")
            #expect(r.errorOutput.contains(message), "\(args): \(r)")
        }
        expectNothingLeft(containerd)
    }
}
