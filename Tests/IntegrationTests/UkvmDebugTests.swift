// UkvmDebugTests.swift: Debian's gdb driving ukvm's stub (--gdb) on a
// CPL-3 image and a CPL-0 one: breakpoints, registers, globals, steps,
// changing a variable, interrupting, detaching, killing, faults; and a
// client of our own that sends the stub malformed, oversized and random
// packets. Every stub listens on 127.0.0.1 on a port the kernel picks
// (--gdb=0), so test runs can overlap.

import Foundation
import Testing
import TestSupport

/// ukvm started with --gdb=0, waiting for a debugger; killed on deinit.
final class StubbedGuest {
    let guest: Background
    let image: String
    let port: UInt16

    init(_ image: String, args: [String] = [], flags: [String] = []) throws {
        self.image = image
        guest = try Background([monitorPath, "--gdb=0"] + flags + [image] + args)
        let marker = "(in gdb: target remote 127.0.0.1:"
        guard guest.waitFor(marker, timeout: 30),
              let range = guest.output.range(of: marker),
              let port = UInt16(guest.output[range.upperBound...].prefix { $0.isNumber }) else {
            throw SetupError("ukvm --gdb=0 named no port: \(guest.output)")
        }
        self.port = port
    }

    // Background's reader thread keeps it alive while the process runs:
    // end the process here, whatever the test did.
    deinit { guest.stop() }

    /// gdb in batch mode, connected, running `commands` (each one -ex).
    func gdb(_ commands: [String], timeout: Double = 120) -> ProcessResult {
        run(gdbArguments(commands), timeout: timeout)
    }

    /// The same, in the background, to be signalled: with no signal
    /// blocked, as gdb would be started from a shell.
    func gdbInBackground(_ commands: [String]) throws -> Background {
        try Background(withSignalsUnblocked(gdbArguments(commands)))
    }

    private func gdbArguments(_ commands: [String]) -> [String] {
        ["/usr/bin/env", "gdb", "-nx", "-batch", "-ex", "set pagination off", "-ex", "set confirm off",
         "-ex", "target remote 127.0.0.1:\(port)"] + commands.flatMap { ["-ex", $0] } + [image]
    }
}

/// Why gdb tests cannot run here, or nil.
let debuggerUnavailable: String? = kvmUnavailable ?? gdbUnavailable

@Suite("ukvm --gdb: Debian's gdb on the stub", .serialized)
struct UkvmGDBTests {
    /// The session the issue asks for: break at solo5_app_main, continue,
    /// check registers and a global, step, set the global and see the
    /// guest print it, detach and see the guest finish.
    @Test(arguments: [Backend.ukvm, .ukvmCPL0])
    func session(on backend: Backend) throws {
        if let reason = debuggerUnavailable { return announceSkip(reason) }
        let image = backend.image("debug")
        let main = try #require(symbolAddress("solo5_app_main", in: image))
        let stub = try StubbedGuest(image)
        let g = stub.gdb([
            "break solo5_app_main", "continue",
            "printf \"at rip=%#lx cs=%#lx\\n\", $rip, $cs",
            "printf \"answer is %d\\n\", answer",
            // The monitor serves gdb from inside its sandbox.
            "shell grep -E '^(Seccomp|NoNewPrivs):' /proc/\(stub.guest.process.processIdentifier)/status",
            "stepi", "printf \"stepped to %#lx\\n\", $rip",
            "next",
            "set var answer = 42", "printf \"answer now %d\\n\", answer",
            "detach",
        ])
        let cs = backend == .ukvm ? "0x1b" : "0x8"
        #expect(g.output.contains("Breakpoint 1, solo5_app_main"), "\(g)")
        #expect(g.output.contains("at rip=0x\(String(main, radix: 16)) cs=\(cs)\n"), "\(g)")
        #expect(g.output.contains("answer is 41\n"), "\(g)")
        #expect(g.output.contains("NoNewPrivs:\t1") && g.output.contains("Seccomp:\t2"), "\(g)")
        let stepped = g.output.components(separatedBy: "stepped to 0x").dropFirst().first
            .flatMap { UInt64($0.prefix { $0.isHexDigit }, radix: 16) }
        #expect(stepped.map { $0 > main && $0 < main + 16 } == true, "one instruction on: \(g)")
        #expect(g.output.contains("counter = add(counter, 1);"), "next: \(g)")
        #expect(g.output.contains("answer now 42\n"), "\(g)")
        #expect(g.output.contains("[Inferior 1 (Remote target) detached]"), "\(g)")
        let r = stub.guest.wait(timeout: 60)
        #expect(r.status == 0, "\(r)")
        #expect(r.output.contains("debug: answer=42 counter=1\n"), "\(r)")
    }

    /// gdb's interrupt (what Ctrl-C sends) stops a guest that spins, at
    /// CPL 3 (running natively) and at CPL 0.
    @Test(arguments: [Backend.ukvm, .ukvmCPL0])
    func interrupt(on backend: Backend) throws {
        if let reason = debuggerUnavailable { return announceSkip(reason) }
        let stub = try StubbedGuest(backend.image("debug"), args: ["spin"])
        let g = try stub.gdbInBackground([
            "continue",
            "printf \"released is %d\\n\", release",
            "set var release = 1", "set var answer = 42", "detach",
        ])
        // gdb has resumed the guest once it prints; then gdb's SIGINT is
        // the user's Ctrl-C.
        #expect(stub.guest.waitFor("debug: spinning", timeout: 60), "\(stub.guest.output)")
        g.signal(SIGINT)
        let gr = g.wait(timeout: 60)
        defer { g.stop() }
        #expect(gr.output.contains("Program received signal SIGINT"), "\(gr)")
        #expect(gr.output.contains("released is 0\n"), "\(gr)")
        let r = stub.guest.wait(timeout: 60)
        #expect(r.status == 0, "\(r)")
        #expect(r.output.contains("debug: released after some spins\n"), "\(r)")
        #expect(r.output.contains("debug: answer=42"), "\(r)")
    }

    /// gdb's kill ends the run: 137, one line.
    @Test func kill() throws {
        if let reason = debuggerUnavailable { return announceSkip(reason) }
        let stub = try StubbedGuest(ukvmImage("debug"))
        let g = stub.gdb(["break add", "continue", "kill"])
        #expect(g.output.contains("Breakpoint 1, add"), "\(g)")
        let r = stub.guest.wait(timeout: 60)
        #expect(r.status == 137, "\(r)")
        #expect(r.output.contains("ukvm: killed from the debugger"), "\(r)")
        #expect(!r.output.contains("debug: answer"), "\(r)")
    }

    /// A fault the kernel reports stops in gdb at the faulting instruction
    /// with the signal a process would get; continuing passes it, and the
    /// guest ends as it would have (255).
    @Test(arguments: [("exception", "SIGILL", "solo5_app_main"), ("abort", "SIGABRT", "solo5_abort")])
    func guestReportedFault(test: String, signal: String, function: String) throws {
        if let reason = debuggerUnavailable { return announceSkip(reason) }
        let stub = try StubbedGuest(ukvmImage(test))
        let g = stub.gdb(["continue", "bt", "continue"])
        #expect(g.output.contains("Program received signal \(signal)"), "\(g)")
        #expect(g.output.contains(function), "\(g)")
        #expect(g.output.contains("exited with code 0377"), "\(g)")
        let r = stub.guest.wait(timeout: 60)
        #expect(r.status == 255, "\(r)")
    }

    /// A fault the monitor sees (a hypercall on a port that is none) stops
    /// in gdb as SIGSEGV where it happened; then the run ends with 126.
    @Test func monitorSeenFault() throws {
        if let reason = debuggerUnavailable { return announceSkip(reason) }
        let disk = TempFile(size: 64 * 512)
        let stub = try StubbedGuest(ukvmImage("badcalls"), args: ["port"], flags: ["--block:storage=\(disk.path)"])
        let g = stub.gdb(["continue", "bt", "continue"])
        #expect(g.output.contains("Program received signal SIGSEGV"), "\(g)")
        #expect(g.output.contains("in hypercall") || g.output.contains("hypercall ("), "\(g)")
        #expect(g.output.contains("Program terminated with signal SIGSEGV"), "\(g)")
        let r = stub.guest.wait(timeout: 60)
        #expect(r.status == 126, "\(r)")
        #expect(r.output.contains("ukvm: guest fault: invalid port I/O"), "\(r)")
    }

    /// A stop signal ends the monitor while it waits for gdb, and while gdb
    /// holds the guest stopped.
    @Test func stopSignals() throws {
        if let reason = debuggerUnavailable { return announceSkip(reason) }
        let waiting = try StubbedGuest(ukvmImage("hello"))
        waiting.guest.signal(SIGTERM)
        let r1 = waiting.guest.wait(timeout: 30)
        #expect(r1.status == 143 && r1.output.contains("ukvm: stopped by signal 15"), "\(r1)")

        let stopped = try StubbedGuest(ukvmImage("hello"))
        let client = try GDBClient(port: stopped.port)
        #expect(try client.ask("?") == "T05thread:1;")
        stopped.guest.signal(SIGTERM)
        let r2 = stopped.guest.wait(timeout: 30)
        #expect(r2.status == 143 && r2.output.contains("ukvm: stopped by signal 15"), "\(r2)")
    }
}

/// A client of the remote protocol of our own, to say what gdb would not.
final class GDBClient {
    let fd: Int32
    private var buffer: [UInt8] = []

    init(port: UInt16) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let r = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard r == 0 else { throw SetupError("connect: \(String(cString: strerror(errno)))") }
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    static func frame(_ payload: [UInt8]) -> [UInt8] {
        let sum = payload.reduce(UInt8(0)) { $0 &+ $1 }
        return [UInt8(ascii: "$")] + payload + Array(String(format: "#%02x", sum).utf8)
    }

    func send(_ bytes: [UInt8]) {
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + sent, bytes.count - sent) }
            if n <= 0 { return }
            sent += n
        }
    }

    func send(packet payload: [UInt8]) { send(GDBClient.frame(payload)) }

    /// The next byte, or nil when the stub closed the connection (or went
    /// quiet for 30 s).
    func byte() -> UInt8? {
        if buffer.isEmpty {
            var chunk = [UInt8](repeating: 0, count: 4096)
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            guard n > 0 else { return nil }
            buffer = Array(chunk[0..<n])
        }
        return buffer.removeFirst()
    }

    /// The next packet's payload (skipping acks), checksum checked.
    func packet() throws -> String {
        while let b = byte() {
            guard b == UInt8(ascii: "$") else { continue }
            var payload: [UInt8] = []
            while let c = byte(), c != UInt8(ascii: "#") { payload.append(c) }
            guard let h = byte(), let l = byte(),
                  UInt8(String(decoding: [h, l], as: UTF8.self), radix: 16) == payload.reduce(UInt8(0), { $0 &+ $1 })
            else { throw SetupError("bad checksum from the stub") }
            return String(decoding: payload, as: UTF8.self)
        }
        throw SetupError("the stub closed the connection")
    }

    func ask(_ text: String) throws -> String {
        send(packet: Array(text.utf8))
        return try packet()
    }

    /// Whether the stub closed the connection (reads end).
    func closedByStub() -> Bool {
        while let _ = byte() {}
        return true
    }
}

@Suite("ukvm --gdb: hostile packets", .serialized)
struct UkvmGDBFuzzTests {
    /// Malformed, hostile and oversized packets, noise and 5000 random
    /// packets: each gets an error or empty reply (or is ignored), the stub
    /// still answers, and after a detach the guest finishes.
    @Test func malformedAndRandomPackets() throws {
        if let reason = kvmUnavailable { return announceSkip(reason) }
        let stub = try StubbedGuest(ukvmImage("debug"))
        let c = try GDBClient(port: stub.port)

        // Noise outside packets, then a bad checksum (ack mode: NAK'd).
        c.send(Array("hello, stub\u{7f}\u{01}".utf8) + [0xff, 0xfe, 0x00])
        c.send(Array("$g#00".utf8))
        #expect(c.byte() == UInt8(ascii: "-"))
        #expect(try c.ask("qSupported:swbreak+").hasPrefix("PacketSize=4000;"))
        #expect(try c.ask("QStartNoAckMode") == "OK")

        let hostile: [(String, String)] = [
            ("m0,ffffffffffffffff", "E0e"), ("mffffffffffffffff,ffffffffffffffff", "E0e"),
            ("m0,8", "E0e"), ("m1000,10", "E0e"), ("m2000,8", "E0e"),       // NULL guard, GDT, page tables
            ("m\(String(512 << 20, radix: 16)),1", "E0e"),                // past the end of memory
            ("M100000,ffffffff:00", "E01"), ("M10000,1:00", "E0e"), ("M2000,8:0000000000000000", "E0e"),
            ("X100000,ffffffffffffffff:a", "E01"), ("Xffffffffffffffff,2:ab", "E0e"),
            ("Z0,1000,1", "E0e"), ("Z0,ffffffffffffffff,1", "E0e"),
            ("p99999", "E16"), ("pffffffffffffffffffff", "E16"), ("P0=00", "E16"), ("G00", "E16"),
            ("qXfer:features:read:target.xml:ffffffffffffffff,ffffffffffffffff", "l"),
            ("qXfer:features:read:/etc/passwd:0,100", "E00"),
            ("vCont;q", "E16"), ("vCont;C", "E01"), ("C", "E01"), ("S", "E01"), ("cgarbage", "E01"),
            ("m1,", "E01"), ("m,1", "E01"), ("mzz,1", "E01"), ("Z0,100000", "E01"), ("", ""), ("!", ""),
        ]
        for (p, reply) in hostile {
            #expect(try c.ask(p) == reply, "\(p)")
        }
        // Oversized: a packet far past PacketSize, then one of huge length.
        c.send(packet: [UInt8(ascii: "m")] + [UInt8](repeating: UInt8(ascii: "1"), count: 100_000))
        #expect(try c.packet() == "E01")
        c.send(packet: Array("X100000,4000:".utf8) + [UInt8](repeating: 0x41, count: 0x4000))
        #expect(try c.packet() == "E01")
        #expect(try c.ask("?") == "T05thread:1;")

        // 5000 random packets, no run control and no writes (those could
        // break the guest, which must still finish): each answered.
        var random = UInt64(0x6e6f_6973_6521)
        let alphabet = Array("mpgqQHTzZ?vX0123456789abcdef,:;=}*".utf8) + [0x00, 0xff, 0x7f]
        for _ in 0..<5000 {
            var payload: [UInt8] = []
            for _ in 0..<Int(next(&random) % 40) {
                payload.append(alphabet[Int(next(&random) % UInt64(alphabet.count))])
            }
            if let first = payload.first, "cCsSDkvMXGPZ!".utf8.contains(first) { payload[0] = UInt8(ascii: "q") }
            _ = try c.ask(String(decoding: payload, as: UTF8.self))
        }
        #expect(try c.ask("?") == "T05thread:1;")
        #expect(try c.ask("D") == "OK")
        let r = stub.guest.wait(timeout: 60)
        #expect(r.status == 3, "\(r)")
        #expect(r.output.contains("debug: answer=41 counter=1"), "\(r)")
    }

    /// Interrupt by the protocol itself: 0x03 while the guest spins stops
    /// it with SIGINT; a write releases it.
    @Test func interruptByte() throws {
        if let reason = kvmUnavailable { return announceSkip(reason) }
        let image = ukvmImage("debug")
        let release = try #require(symbolAddress("release", in: image))
        let stub = try StubbedGuest(image, args: ["spin"])
        let c = try GDBClient(port: stub.port)
        #expect(try c.ask("QStartNoAckMode") == "OK")
        c.send(packet: Array("c".utf8))
        #expect(stub.guest.waitFor("debug: spinning", timeout: 60), "\(stub.guest.output)")
        c.send([0x03])
        #expect(try c.packet() == "T02thread:1;")
        #expect(try c.ask("M\(String(release, radix: 16)),4:01000000") == "OK")
        #expect(try c.ask("D") == "OK")
        let r = stub.guest.wait(timeout: 60)
        #expect(r.status == 3 && r.output.contains("debug: released after some spins"), "\(r)")
    }

    /// A peer that cannot frame packets (bad checksums in a row) is dropped,
    /// and so is one that vanishes while the guest is stopped: either way
    /// the breakpoints go and the guest runs on, with one line saying so.
    @Test func droppedConnections() throws {
        if let reason = kvmUnavailable { return announceSkip(reason) }
        let image = ukvmImage("debug")
        let add = try #require(symbolAddress("add", in: image))
        let stub = try StubbedGuest(image)
        let c = try GDBClient(port: stub.port)
        #expect(try c.ask("Z0,\(String(add, radix: 16)),1") == "OK")
        for _ in 0..<100 { c.send(Array("$g#00".utf8)) }
        #expect(c.closedByStub())
        let r = stub.guest.wait(timeout: 60)
        #expect(r.status == 3 && r.output.contains("debug: answer=41"), "\(r)")
        #expect(r.output.contains("ukvm: gdb: 65 packets with bad checksums in a row; debugging ended"), "\(r)")

        let vanishing = try StubbedGuest(image)
        do {
            let v = try GDBClient(port: vanishing.port)
            #expect(try v.ask("Z0,\(String(add, radix: 16)),1") == "OK")
            v.send(packet: Array("c".utf8))
            #expect(try v.packet() == "T05thread:1;swbreak:;")
        }   // closed here, at the breakpoint
        let r2 = vanishing.guest.wait(timeout: 60)
        #expect(r2.status == 3 && r2.output.contains("debug: answer=41"), "\(r2)")
        #expect(r2.output.contains("ukvm: gdb: gdb closed the connection; debugging ended"), "\(r2)")
    }

    /// Binding a port that is taken fails at start-up: 125, one line.
    @Test func portInUse() throws {
        if let reason = kvmUnavailable { return announceSkip(reason) }
        let first = try StubbedGuest(ukvmImage("hello"))
        let r = ukvm(["--gdb=\(first.port)", ukvmImage("hello")], timeout: 30)
        #expect(r.status == 125, "\(r)")
        #expect(r.errorOutput == "ukvm: --gdb: cannot listen on 127.0.0.1:\(first.port): Address already in use\n",
                "\(r)")
    }

    private func next(_ state: inout UInt64) -> UInt64 {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return state >> 33
    }
}
