// LargeSendTests.swift: the large-send extension (include/ukvm_ext.h,
// LargeSend.swift) with real guests in a network namespace of the test's
// own: a hostile guest's bad large frames refused on every path, and
// solo5-httpd's 64 MiB download intact with the extension withheld (the
// fallback a guest takes on another monitor). The download with large send
// on is HttpdTests.largeFile, which checks that large frames went out.

import Foundation
import Testing
import TestSupport

@Suite("large send: hostile frames refused, the fallback intact", .serialized)
struct LargeSendTests {
    /// Frames that break each rule, through NET_WRITE, NETIO and
    /// solo5_net_write: EINVAL every time; a good one is taken. Withheld,
    /// the largest frame is MTU + 14 and a good large frame is refused too.
    @Test(arguments: [("offered", [String]()), ("withheld", ["--x-no-large-send"]),
                      ("offered", ["--x-no-netio"])])
    func hostileGuest(mode: String, flags: [String]) throws {
        if let reason = kvmUnavailable ?? networkUnavailable { return announceSkip(reason) }
        let ns = try NetNamespace()
        try ns.addTap("tap0", address: "10.85.0.1/24")
        let r = run(ns.exec([monitorPath] + flags + ["--net:service0=tap0", ukvmImage("largesend"), mode]),
                    timeout: 60)
        #expect(r.status == 0 && r.output.contains("SUCCESS"), "\(r)")
        let largest = mode == "offered" ? 65549 : 1514
        #expect(r.output.contains("largesend: MTU 1500, largest frame \(largest)"), "\(r)")
    }

    /// The 64 MiB download, checksummed, with large send withheld: MTU-sized
    /// frames only, as on upstream's tender or an older ukvm.
    @Test func downloadWithoutLargeSend() throws {
        if let reason = HttpdBackend.ukvm.unavailable { return announceSkip(reason) }
        let server = try HttpdServer(.ukvm, flags: ["--x-no-large-send"])
        let out = TempFile(size: 0, name: "httpd-big")
        let r = server.curl(["-o", out.path, "-w", "%{http_code} %{size_download}"], ["/big.bin"], timeout: 300)
        #expect(r.output == "200 \(HttpdContent.bigSize)", "\(r)")
        #expect(String(sh("sha256sum '\(out.path)'").output.prefix(64)) == HttpdContent.shared.bigSHA256)
        #expect(server.guest.output.contains("frames up to 1514 bytes\n"), "\(server.guest.output)")
        #expect(!server.guest.output.contains("large send"), "\(server.guest.output)")
    }
}
