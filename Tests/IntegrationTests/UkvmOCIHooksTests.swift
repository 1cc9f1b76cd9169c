// UkvmOCIHooksTests.swift: OCI hooks run by ukvm-oci with real programs (a
// shell script that records where and with what it ran), driven as the
// shim drives the runtime; and host networking refused for network images
// whatever path names the host's namespace.

import Foundation
import Testing
import TestSupport

@Suite("ukvm-oci hooks and host networking", .serialized, .enabled(if: kvmUnavailable == nil, "needs /dev/kvm"))
struct UkvmOCIHooksTests {
    typealias Bundle = UkvmOCITests.Bundle

    /// One record per hook run: its point, its network namespace and the
    /// state it read on stdin.
    struct Record {
        let point: String
        let netns: String
        let state: [String: Any]
    }

    /// A bundle whose every hook point runs `script POINT` (and `extra`
    /// hooks JSON members), in a new network namespace.
    static func bundle(_ image: String, args: [String], override: String = "") throws -> Bundle {
        let b = try Bundle(image, args: args)
        let script = b.dir + "/hook.sh"
        try """
            #!/bin/sh
            state=$(cat)
            echo "$1 $(readlink /proc/self/ns/net) $state" >>\(b.dir)/records
            """.write(toFile: script, atomically: true, encoding: .utf8)
        chmod(script, 0o755)
        let points = ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"]
        let hooks = points.map { p in
            #""\#(p)":[{"path":"\#(script)","args":["hook.sh","\#(p)"],"env":["X=1"],"timeout":20}]"#
        }
        let argv = args.map { "\"\($0)\"" }.joined(separator: ",")
        let config = #"{"ociVersion":"1.0.2","process":{"args":[\#(argv)]},"root":{"path":"rootfs"},"#
            + #""hooks":{\#(override.isEmpty ? hooks.joined(separator: ",") : override)},"#
            + #""linux":{"namespaces":[{"type":"network"}]}}"#
        try config.write(toFile: b.dir + "/config.json", atomically: true, encoding: .utf8)
        return b
    }

    static func records(_ b: Bundle) -> [Record] {
        let text = (try? String(contentsOfFile: b.dir + "/records", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").map { line in
            let parts = line.split(separator: " ", maxSplits: 2).map(String.init)
            let state = (try? JSONSerialization.jsonObject(with: Data((parts.count > 2 ? parts[2] : "").utf8)))
            return Record(point: parts[0], netns: parts.count > 1 ? parts[1] : "", state: state as? [String: Any] ?? [:])
        }
    }

    /// Every point, in runc's order, each with the state of its moment; the
    /// runtime-side ones in the runtime's namespace, the container-side
    /// ones in the container's (new) one, the one /proc/PID/ns/net shows.
    @Test func everyPointInOrderAndInItsNamespace() throws {
        let b = try Self.bundle("hello", args: ["/hello.ukvm"])
        let create = b.oci(["create", "--bundle", b.dir, "--pid-file", b.dir + "/pid", "h1"])
        #expect(create.status == 0, "\(create)")
        let pid = Int(try String(contentsOfFile: b.dir + "/pid", encoding: .utf8)) ?? 0
        var r = Self.records(b)
        #expect(r.map(\.point) == ["prestart", "createRuntime", "createContainer"])
        let own = sh("readlink /proc/self/ns/net").output.trimmingCharacters(in: .whitespacesAndNewlines)
        let container = sh("readlink /proc/\(pid)/ns/net").output.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(container != own && container.hasPrefix("net:"))
        #expect(r.map(\.netns) == [own, own, container])
        for rec in r {
            #expect(rec.state["status"] as? String == "creating" && rec.state["pid"] as? Int == pid, "\(rec.state)")
            #expect(rec.state["id"] as? String == "h1" && rec.state["bundle"] as? String == b.dir)
        }
        #expect(b.oci(["start", "h1"]).status == 0)
        for _ in 0..<500 where b.state("h1")?["status"] as? String != "stopped" { usleep(10_000) }
        r = Self.records(b)
        #expect(Set(r.dropFirst(3).map(\.point)) == ["startContainer", "poststart"], "\(r.map(\.point))")
        let started = r.first { $0.point == "startContainer" }, post = r.first { $0.point == "poststart" }
        #expect(started?.netns == container && started?.state["pid"] as? Int == pid)
        #expect(post?.netns == own && post?.state["status"] as? String == "running")
        #expect(b.oci(["delete", "h1"]).status == 0)
        r = Self.records(b)
        #expect(r.last?.point == "poststop" && r.last?.state["status"] as? String == "stopped" && r.count == 6)
        #expect(!FileManager.default.fileExists(atPath: b.root + "/h1"))
    }

    /// A failing create-time hook fails create with its output; nothing is
    /// left (no state, no process).
    @Test(arguments: ["prestart", "createRuntime", "createContainer"])
    func failingCreateHook(point: String) throws {
        let hook = #""\#(point)":[{"path":"/bin/sh","args":["sh","-c","echo no network for you >&2; exit 4"]}]"#
        let b = try Self.bundle("hello", args: ["/hello.ukvm"], override: hook)
        let r = b.oci(["create", "--bundle", b.dir, "--pid-file", b.dir + "/pid", "f1"])
        #expect(r.status == 1, "\(r)")
        #expect(r.errorOutput.contains("\(point) hook #0 (/bin/sh): exit status 4: no network for you"), "\(r)")
        #expect(!FileManager.default.fileExists(atPath: b.root + "/f1"))
        #expect(sh("pgrep -f '[u]kvm-oci.*\(b.dir)'").status != 0, "a container process was left")
    }

    @Test func hookTimeoutFailsCreate() throws {
        let hook = #""prestart":[{"path":"/bin/sleep","args":["sleep","30"],"timeout":1}]"#
        let b = try Self.bundle("hello", args: ["/hello.ukvm"], override: hook)
        let r = b.oci(["create", "--bundle", b.dir, "t1"])
        #expect(r.status == 1 && r.errorOutput.contains("prestart hook #0 (/bin/sleep): timed out after 1 s"), "\(r)")
    }

    /// startContainer fails the container (125, the message on its stderr);
    /// poststart and poststop failures are logged and change nothing.
    @Test func startAndPostHooks() throws {
        let fail = #"[{"path":"/bin/sh","args":["sh","-c","echo refused; exit 2"]}]"#
        var b = try Self.bundle("status", args: ["/status.ukvm", "7"], override: #""startContainer":\#(fail)"#)
        var r = b.oci(["run", "--bundle", b.dir, "s1"])
        #expect(r.status == 125 && r.errorOutput.contains("startContainer hook #0 (/bin/sh): exit status 2: refused"),
                "\(r)")
        b = try Self.bundle("status", args: ["/status.ukvm", "7"],
                            override: #""poststart":\#(fail),"poststop":\#(fail)"#)
        r = b.oci(["run", "--bundle", b.dir, "s2"])
        #expect(r.status == 7, "\(r)")
        let log = (try? String(contentsOfFile: b.log, encoding: .utf8)) ?? ""
        #expect(log.contains(#""level":"warning""#) && log.contains("poststart hook #0 (/bin/sh): exit status 2"))
        #expect(log.contains("poststop hook #0 (/bin/sh): exit status 2"), "\(log)")
        #expect(!FileManager.default.fileExists(atPath: b.root + "/s2"))
    }

    /// A namespace path that is the runtime's own (or a bind mount of it,
    /// as Docker passes for --network host) is host networking: a network
    /// image is refused in one line; an image without network devices runs.
    @Test func hostNamespacePathRefusedForNetworkImages() throws {
        let mountPoint = try makeTempDirectory("ukvmtest-nsbind") + "/net"
        FileManager.default.createFile(atPath: mountPoint, contents: nil)
        #expect(sh("mount --bind /proc/self/ns/net \(mountPoint)").status == 0)
        defer {
            _ = sh("umount \(mountPoint)")
            try? FileManager.default.removeItem(atPath: (mountPoint as NSString).deletingLastPathComponent)
        }
        for path in ["/proc/self/ns/net", mountPoint] {
            let ns = #","linux":{"namespaces":[{"type":"network","path":"\#(path)"}]}"#
            let net = try Bundle("net", args: ["/net.ukvm", "10.0.0.2"], extra: ns)
            let r = net.oci(["create", "--bundle", net.dir, "n1"])
            #expect(r.status == 1, "\(r)")
            #expect(r.errorOutput.contains("\(path) is the host's (host networking)"), "\(r)")
            #expect(r.errorOutput.split(separator: "\n").count == 1)
            let hello = try Bundle("status", args: ["/status.ukvm", "7"], extra: ns)
            #expect(hello.oci(["run", "--bundle", hello.dir, "n2"]).status == 7)
        }
    }
}
