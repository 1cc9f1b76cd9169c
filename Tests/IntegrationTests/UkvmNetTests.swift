// UkvmNetTests.swift: network devices on our monitor, each test inside a
// network namespace of its own.

import Foundation
import Testing
import TestSupport

@Suite("ukvm: network devices",
       .enabled(if: kvmUnavailable == nil, "needs /dev/kvm"),
       .enabled(if: networkUnavailable == nil, "needs root, /dev/net/tun, ip and ping"))
struct UkvmNetTests {
    @Test func pingAndFlood() throws {
        let ns = try NetNamespace()
        try ns.addTap("tap0", address: "10.66.0.1/24")
        let guest = try Background(ns.exec([monitorPath, "--net:service0=tap0", ukvmImage("net"), "10.66.0.2"]))
        defer { guest.stop() }
        #expect(guest.waitFor("net: serving"), "\(guest.output)")
        let ping = run(ns.exec(["ping", "-c", "3", "-W", "5", "10.66.0.2"]), timeout: 30)
        #expect(ping.status == 0, "\(ping)")
        #expect(ping.output.contains("3 received"), "\(ping)")
        let flood = run(ns.exec(["ping", "-f", "-q", "-c", "10000", "-w", "120", "10.66.0.2"]), timeout: 150)
        #expect(flood.status == 0, "\(flood)")
        #expect(flood.output.contains("10000 received, 0% packet loss"), "\(flood)")
    }

    /// The upstream-like image (no CPL3 note, no NETIO) without the ring:
    /// the monitor's base network path, POLL, NET_READ and NET_WRITE.
    @Test func pingBaseABI() throws {
        try flood(["--x-no-net-ring"], image: "net-cpl0", count: 300, expect: nil)
    }

    /// Upstream's network ring, served by the monitor's thread: our kernel
    /// uses it when NETIO is not offered, at CPL 3 and at CPL 0.
    @Test(arguments: [(["--x-no-netio", "--x-net-ring"], "net", 2000), (["--x-net-ring"], "net-cpl0", 300)])
    func pingOverTheRing(flags: [String], image: String, count: Int) throws {
        try flood(flags, image: image, count: count, expect: "net: ring at 0x")
    }

    /// Runs `image` serving ping with `flags`, floods it with `count`
    /// echoes (0% loss expected), and checks its debug log names `expect`.
    func flood(_ flags: [String], image: String, count: Int, expect: String?) throws {
        let ns = try NetNamespace()
        try ns.addTap("tap0", address: "10.69.0.1/24")
        let guest = try Background(ns.exec([monitorPath] + flags + ["--net:service0=tap0", ukvmImage(image),
                                                                     "10.69.0.2", "--solo5:debug"]))
        defer { guest.stop() }
        #expect(guest.waitFor("net: serving"), "\(guest.output)")
        let flood = run(ns.exec(["ping", "-f", "-q", "-c", String(count), "-w", "60", "10.69.0.2"]), timeout: 90)
        #expect(flood.output.contains("\(count) received, 0% packet loss"), "\(flood)")
        if let expect {
            #expect(guest.output.contains(expect), "\(guest.output)")
        } else {
            #expect(!guest.output.contains("net: ring at"), "\(guest.output)")
        }
    }

    @Test func twoNICs() throws {
        let ns = try NetNamespace()
        try ns.addTap("tap0", address: "10.67.0.1/24")
        try ns.addTap("tap1", address: "10.68.0.1/24")
        let guest = try Background(ns.exec([monitorPath, "--net:service0=tap0", "--net:service1=tap1",
                                            "--net-mac:service1=02:00:00:00:00:42",
                                            ukvmImage("net2"), "10.67.0.2", "10.68.0.2", "-n", "7"]))
        #expect(guest.waitFor("net: serving"), "\(guest.output)")
        for address in ["10.67.0.2", "10.68.0.2"] {
            let ping = run(ns.exec(["ping", "-c", "3", "-W", "5", address]), timeout: 30)
            #expect(ping.output.contains("3 received"), "\(ping)")
        }
        // Checked while the guest runs: the tap drops the entry on exit.
        let neigh = sh("ip -n \(ns.name) neigh show 10.68.0.2")
        #expect(neigh.output.contains("02:00:00:00:00:42"), "\(neigh)")
        // The seventh echo ends the guest.
        run(ns.exec(["ping", "-c", "1", "-W", "5", "10.67.0.2"]), timeout: 30)
        let r = guest.wait(timeout: 20)
        #expect(r.status == 0, "\(r)")
        #expect(r.output.contains("net: answered 7 echo requests"), "\(r)")
    }

    @Test func badTaps() throws {
        let ns = try NetNamespace()
        sh("ip -n \(ns.name) tuntap add dev tapdown mode tap")
        for (args, word) in [(["--net:service0=nosuchtap"], "nosuchtap"),
                             (["--net:service0=tapdown"], "down"),
                             (["--net:service0=tapdown", "--net-mac:service0=zz:00:00:00:00:00"], "mac"),
                             ([String](), "service0")] {
            let r = run(ns.exec([monitorPath] + args + [ukvmImage("net"), "10.0.0.2"]))
            #expect(r.status == 125, "\(r)")
            #expect(r.errorOutput.lowercased().contains(word), "\(r)")
        }
        // The monitor did not create the missing tap.
        #expect(sh("ip -n \(ns.name) link show nosuchtap").status != 0)
    }
}

/// A tap handed over as @FD by a parent that keeps using it (as a
/// container runtime does): the monitor must not switch the shared file
/// description to non-blocking mode, during the run or after it. The tap
/// may carry virtio-net headers (as ukvm-oci's does): the monitor reads
/// that from the descriptor and frames the traffic with them; a header of
/// another size is refused.
@Suite("ukvm: inherited taps",
       .enabled(if: kvmUnavailable == nil, "needs /dev/kvm"),
       .enabled(if: networkUnavailable == nil, "needs root, /dev/net/tun, ip and ping"))
struct UkvmInheritedTapTests {
    /// argv: ukvm, image, address, TUNSETIFF flags beside TAP|NO_PI, and
    /// the virtio-net header size to set (0: leave it).
    static let parent = """
        import fcntl, os, struct, subprocess, sys
        ukvm, image, address = sys.argv[1:4]
        extra, hdrsize = int(sys.argv[4]), int(sys.argv[5])
        fd = os.open("/dev/net/tun", os.O_RDWR)
        fcntl.ioctl(fd, 0x400454ca, struct.pack("16sH", b"tap0", 0x0002 | 0x1000 | extra))  # TUNSETIFF tap0
        if hdrsize:
            fcntl.ioctl(fd, 0x400454d8, struct.pack("i", hdrsize))  # TUNSETVNETHDRSZ
        def blocking():
            return fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_NONBLOCK == 0
        print("before", blocking())
        guest = subprocess.Popen([ukvm, "--net:service0=@%d" % fd, image, address], pass_fds=[fd],
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for line in guest.stdout:
            print("guest:", line, end="")
            if "net: serving" in line:
                break
        else:
            print("status", guest.wait())  # it never served
            sys.exit(0)
        print("during", blocking())
        ping = subprocess.run(["ping", "-c", "2", "-W", "5", address], capture_output=True, text=True)
        print("ping", ping.returncode)
        guest.terminate()
        print("status", guest.wait())
        print("after", blocking())
        """

    static let vnetHeader = 0x4000   // IFF_VNET_HDR

    func runParent(extraFlags: Int, headerSize: Int) throws -> ProcessResult {
        let ns = try NetNamespace()
        try ns.addTap("tap0", address: "10.71.0.1/24")
        return run(ns.exec(["python3", "-c", Self.parent, monitorPath, ukvmImage("net"), "10.71.0.2",
                            String(extraFlags), String(headerSize)]), timeout: 60)
    }

    /// Without headers (the fallback), and with the 10-byte header ukvm-oci sets.
    @Test(arguments: [(0, 0), (vnetHeader, 10), (vnetHeader, 0)])
    func sharedDescriptionStaysBlocking(extraFlags: Int, headerSize: Int) throws {
        let r = try runParent(extraFlags: extraFlags, headerSize: headerSize)
        #expect(r.status == 0, "\(r)")
        for line in ["before True", "during True", "ping 0", "status 143", "after True"] {
            #expect(r.output.contains(line + "\n"), "missing \(line): \(r)")
        }
    }

    /// A header the monitor does not write (12 bytes, the mergeable-buffers
    /// one): one line naming it, the documented exit, the guest never runs.
    @Test func unexpectedHeaderSize() throws {
        let r = try runParent(extraFlags: Self.vnetHeader, headerSize: 12)
        #expect(r.output.contains("virtio-net header is 12 bytes, not 10"), "\(r)")
        #expect(r.output.contains("status 125\n"), "\(r)")
        #expect(!r.output.contains("net: serving"), "\(r)")
    }
}
