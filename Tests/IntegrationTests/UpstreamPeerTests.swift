// UpstreamPeerTests.swift: with SOLO5_PEER (an upstream v0.12 build, made
// by scripts/upstream-build), upstream's test images on our solo5-hvt link
// get the verdict and exit status they get on upstream's own solo5-hvt, run
// as upstream's tests.bats runs them; and what a driver sees of the two
// tenders (--version, exit statuses) is the same. Our own images on
// upstream's tender are in GuestTests.swift (the `upstream` backend).
// Without SOLO5_PEER every test here is skipped, loudly.

import Foundation
import Testing
import TestSupport

/// What tests.bats expects of an image.
enum PeerVerdict: Sendable {
    case success        // status 0 and "SUCCESS"
    case exitZero       // status 0
    case abort          // status 255 and "ABORT"
    case tenderError    // status 1: the tender refused
}

/// How an image is run: its devices and what talks to it.
enum PeerSetup: Sendable {
    case plain
    /// One disk of `bytes`, with this sector size if given.
    case disk(bytes: Int, sectorSize: Int?)
    /// 63 disks of 4 KiB.
    case disks63
    /// A tap with this MTU in a namespace of its own; `pings` pings with the
    /// 0xdeadbeef pattern, flooded, if not 0.
    case net(mtu: Int, pings: Int)
}

struct PeerCase: Sendable, CustomTestStringConvertible {
    let name: String
    let image: String
    var args: [String] = []
    var setup = PeerSetup.plain
    let verdict: PeerVerdict
    var testDescription: String { name }
}

/// Upstream's hvt tests that pass on upstream's tender on this machine, as
/// tests.bats runs them. Left out: fpu (SSE at CPL 0, which kvm-pvm cannot
/// emulate), xnow (upstream's own verdict differs here), net and net_2if
/// (100,000 pings: minutes at CPL 0; net_ring covers the same path), dumpcore
/// (upstream's debug tender only).
let peerCases: [PeerCase] = [
    PeerCase(name: "hello", image: "test_hello/test_hello.hvt", args: ["Hello_Solo5"], verdict: .success),
    PeerCase(name: "quiet", image: "test_quiet/test_quiet.hvt", args: ["--solo5:quiet"], verdict: .success),
    PeerCase(name: "output", image: "test_output/test_output.hvt", args: ["Output_Solo5"], verdict: .exitZero),
    PeerCase(name: "globals", image: "test_globals/test_globals.hvt", verdict: .success),
    PeerCase(name: "exception", image: "test_exception/test_exception.hvt", verdict: .abort),
    PeerCase(name: "zeropage", image: "test_zeropage/test_zeropage.hvt", verdict: .abort),
    PeerCase(name: "notls", image: "test_notls/test_notls.hvt", verdict: .abort),
    PeerCase(name: "tls", image: "test_tls/test_tls.hvt", verdict: .success),
    PeerCase(name: "ssp", image: "test_ssp/test_ssp.hvt", verdict: .abort),
    PeerCase(name: "time", image: "test_time/test_time.hvt", verdict: .success),
    PeerCase(name: "blk", image: "test_blk/test_blk.hvt", setup: .disk(bytes: 4 << 20, sectorSize: nil),
             verdict: .success),
    PeerCase(name: "blk 4096", image: "test_blk/test_blk.hvt", setup: .disk(bytes: 4 << 20, sectorSize: 4096),
             verdict: .success),
    PeerCase(name: "blk misaligned", image: "test_blk/test_blk.hvt", setup: .disk(bytes: 6144, sectorSize: 4096),
             verdict: .tenderError),
    PeerCase(name: "blk odd", image: "test_blk/test_blk.hvt", setup: .disk(bytes: 1563, sectorSize: 521),
             verdict: .tenderError),
    PeerCase(name: "blk too small", image: "test_blk/test_blk.hvt", setup: .disk(bytes: 256, sectorSize: 256),
             verdict: .tenderError),
    PeerCase(name: "buggyelf", image: "test_buggyelf/buggyelf.hvt", verdict: .tenderError),
    PeerCase(name: "mft_maxdevices", image: "test_mft_maxdevices/test_mft_maxdevices.hvt", setup: .disks63,
             verdict: .success),
    PeerCase(name: "net_mtu", image: "test_net_mtu/test_net_mtu.hvt", setup: .net(mtu: 9000, pings: 0),
             verdict: .success),
    PeerCase(name: "net_ring", image: "test_net_ring/test_net_ring.hvt", setup: .net(mtu: 1500, pings: 10000),
             verdict: .success),
]

@Suite("Upstream's test images on both tenders", .serialized,
       .enabled(if: peerUnavailable == nil, "needs SOLO5_PEER (scripts/upstream-build)"),
       .enabled(if: kvmUnavailable == nil, "needs /dev/kvm"))
struct UpstreamPeerTests {
    @Test(arguments: peerCases)
    func sameVerdict(_ c: PeerCase) throws {
        if case .net = c.setup, let reason = networkUnavailable { return announceSkip(reason, c.name) }
        let upstream = try runPeerCase(c, tender: peerPath("tenders/hvt/solo5-hvt"))
        let ours = try runPeerCase(c, tender: solo5hvt)
        #expect(satisfies(upstream, c.verdict), "upstream's own verdict changed: \(upstream)")
        #expect(satisfies(ours, c.verdict), "ours: \(ours)")
        #expect(ours.status == upstream.status, "ours \(ours)\nupstream \(upstream)")
    }

    /// What a driver reads: the second line of --version byte for byte, the
    /// first up to the release; the exit statuses of a bad flag, a missing
    /// device, a stop signal, a guest's exit.
    @Test func whatADriverSees() throws {
        let theirs = peerPath("tenders/hvt/solo5-hvt")
        let (v1, v2) = (run([solo5hvt, "--version"]), run([theirs, "--version"]))
        #expect(v1.status == v2.status && v1.output == v2.output)
        let ours = v1.errorOutput.split(separator: "\n"), upstream = v2.errorOutput.split(separator: "\n")
        #expect(ours.count == 2 && upstream.count == 2 && ours[1] == upstream[1], "\(v1)\n\(v2)")
        #expect(ours.first?.hasPrefix(upstream.first ?? "-") == true, "\(v1)\n\(v2)")
        for args in [["--bogus", ukvmImage("hello")], [ukvmImage("blk")], ["/nonexistent.hvt"],
                     [ukvmImage("status"), "67"], [ukvmImage("status"), "300"]] {
            let (a, b) = (run([solo5hvt] + args), run([theirs] + args))
            #expect(a.status == b.status, "\(args): ours \(a)\nupstream \(b)")
        }
        for tender in [solo5hvt, theirs] {
            let guest = try Background(withSignalsUnblocked([tender, peerPath("tests/test_time/test_time.hvt")]))
            // Once the guest runs: both tenders install their handlers
            // before the first instruction, not at exec.
            #expect(guest.waitFor("Sleeping for one second", timeout: 30), "\(tender): \(guest.output)")
            guest.signal(SIGTERM)
            let r = guest.wait(timeout: 30)
            #expect(r.killedBy == nil && r.status == 1 && r.output.contains("Exiting on signal 15"), "\(tender): \(r)")
        }
    }

    func satisfies(_ r: ProcessResult, _ verdict: PeerVerdict) -> Bool {
        switch verdict {
        case .success: return r.status == 0 && r.output.contains("SUCCESS")
        case .exitZero: return r.status == 0
        case .abort: return r.status == 255 && r.output.contains("ABORT")
        case .tenderError: return r.status == 1
        }
    }

    /// Runs case `c` on `tender` as tests.bats would (--mem=4096, a 60 s
    /// limit), with its disks and network made here.
    func runPeerCase(_ c: PeerCase, tender: String) throws -> ProcessResult {
        let image = peerPath("tests/" + c.image)
        let base = [tender, "--mem=4096"]
        switch c.setup {
        case .plain:
            return run(base + ["--", image] + c.args, timeout: 60)
        case .disk(let bytes, let sectorSize):
            let disk = TempFile(size: bytes)
            let flags = ["--block:storage=\(disk.path)"] + (sectorSize.map { ["--block-sector-size:storage=\($0)"] } ?? [])
            return run(base + flags + ["--", image] + c.args, timeout: 60)
        case .disks63:
            let disks = (0..<63).map { _ in TempFile(size: 4096) }
            let flags = disks.enumerated().map { "--block:storage\($0.offset)=\($0.element.path)" }
            return run(base + flags + ["--", image] + c.args, timeout: 60)
        case .net(let mtu, let pings):
            let ns = try NetNamespace()
            try ns.addTap("tap100", address: "10.0.0.1/24")
            sh("ip -n \(ns.name) link set tap100 mtu \(mtu)")
            let guest = try Background(ns.exec(base + ["--net:service0=tap100", "--", image] + c.args))
            if pings > 0 {
                _ = guest.waitFor("Serving ping", timeout: 30)
                run(ns.exec(["ping", "-f", "-q", "-c", String(pings), "-p", "deadbeef", "-w", "120", "10.0.0.2"]),
                    timeout: 150)
            }
            return guest.wait(timeout: 60)
        }
    }
}
