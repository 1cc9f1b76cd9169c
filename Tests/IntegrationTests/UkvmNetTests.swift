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
/// description to non-blocking mode, during the run or after it.
@Suite("ukvm: inherited taps",
       .enabled(if: kvmUnavailable == nil, "needs /dev/kvm"),
       .enabled(if: networkUnavailable == nil, "needs root, /dev/net/tun, ip and ping"))
struct UkvmInheritedTapTests {
    static let parent = """
        import fcntl, os, struct, subprocess, sys
        ukvm, image, address = sys.argv[1:4]
        fd = os.open("/dev/net/tun", os.O_RDWR)
        fcntl.ioctl(fd, 0x400454ca, struct.pack("16sH", b"tap0", 0x0002 | 0x1000))  # TUNSETIFF tap0, TAP|NO_PI
        def blocking():
            return fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_NONBLOCK == 0
        print("before", blocking())
        guest = subprocess.Popen([ukvm, "--net:service0=@%d" % fd, image, address], pass_fds=[fd],
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for line in guest.stdout:
            if "net: serving" in line:
                break
        print("during", blocking())
        ping = subprocess.run(["ping", "-c", "2", "-W", "5", address], capture_output=True, text=True)
        print("ping", ping.returncode)
        guest.terminate()
        print("status", guest.wait())
        print("after", blocking())
        """

    @Test func sharedDescriptionStaysBlocking() throws {
        let ns = try NetNamespace()
        try ns.addTap("tap0", address: "10.71.0.1/24")
        let r = run(ns.exec(["python3", "-c", Self.parent, monitorPath, ukvmImage("net"), "10.71.0.2"]), timeout: 60)
        #expect(r.status == 0, "\(r)")
        for line in ["before True", "during True", "ping 0", "status 143", "after True"] {
            #expect(r.output.contains(line + "\n"), "missing \(line): \(r)")
        }
    }
}
