// OCINamespaceTests.swift: the namespaces around the container process:
// every type linux.namespaces lists is created (or joined), the monitor is
// PID 1 of its own pid namespace, and once it runs its view of the file
// system holds nothing of the host (an empty root with its own read-only
// /proc). Then the same under containerd, whose default spec lists them.

import Foundation
import Testing
import TestSupport

@Suite("ukvm-oci: namespaces", .serialized, .enabled(if: kvmUnavailable == nil, "needs /dev/kvm"),
       .enabled(if: getuid() == 0, "namespaces need root"))
struct OCINamespaceTests {
    static let all = #"[{"type":"pid"},{"type":"ipc"},{"type":"uts"},{"type":"mount"},{"type":"cgroup"}]"#

    func namespace(_ pid: Int32, _ type: String) -> String? {
        try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/ns/\(type)")
    }

    /// What a running monitor in a container sees: PID 1 of its own pid
    /// namespace; a root that holds its /proc (its own processes, read-only,
    /// masked as runc masks it) and an empty file used for the masks; no
    /// other mount, nothing of the host's file system.
    static func expectIsolated(_ pid: Int32) throws {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        #expect(status.contains("NSpid:\t\(pid)\t1\n"), "not PID 1 of its own pid namespace: \(status)")
        let root = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/root").sorted()
        #expect(root == [".masked", "proc"], "the monitor's root holds \(root)")
        let processes = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/root/proc")
            .filter { Int($0) != nil }
        #expect(processes == ["1"], "the container's /proc shows \(processes)")
        let mounts = try String(contentsOfFile: "/proc/\(pid)/mountinfo", encoding: .utf8).split(separator: "\n")
        for line in mounts {
            let fields = line.split(separator: " ")
            let point = fields[4], type = fields[fields.firstIndex(of: "-")! + 1]
            let known = (point == "/" && type == "tmpfs") || (point == "/proc" && type == "proc")
                || (point.hasPrefix("/proc/") && type == "tmpfs")
            #expect(known && fields[5].hasPrefix("ro,"), "a mount of the host's? \(line)")
        }
        #expect(mounts.count >= 2 && mounts[0].contains(" / / ro,") && mounts[1].contains(" /proc ro,"), "\(mounts)")
        // The sandbox is on as before.
        #expect(status.contains("Seccomp:\t2\n") && status.contains("NoNewPrivs:\t1\n"), "\(status)")
    }

    @Test func everyNamespaceAndAnEmptyRoot() throws {
        let extra = #","hostname":"unikernel1","annotations":{"org.solo5.memory":"32"},"linux":{"namespaces":\#(OCINamespaceTests.all)}"#
        let b = try UkvmOCITests.Bundle("memtouch", args: ["/memtouch.ukvm", "wait"], extra: extra)
        #expect(b.oci(["create", "--bundle", b.dir, "--pid-file", b.dir + "/pid", "n1"]).status == 0)
        defer { _ = b.oci(["delete", "--force", "n1"]) }
        let pid = Int32(try String(contentsOfFile: b.dir + "/pid", encoding: .utf8)) ?? 0
        for type in ["pid", "ipc", "uts", "mnt", "cgroup"] {
            #expect(namespace(pid, type) != nil && namespace(pid, type) != namespace(getpid(), type), "\(type)")
        }
        #expect(namespace(pid, "net") == namespace(getpid(), "net"), "no network namespace was asked for")
        #expect(b.oci(["start", "n1"]).status == 0)
        var console = ""
        for _ in 0..<6000 where !console.contains("memtouch: waiting") {
            console = (try? String(contentsOfFile: b.dir + "/out.1", encoding: .utf8)) ?? ""
            usleep(10_000)
        }
        #expect(console.contains("memtouch: waiting"), "\(console)")
        try OCINamespaceTests.expectIsolated(pid)
        #expect(sh("nsenter -t \(pid) -u hostname").output == "unikernel1\n")
        #expect(b.oci(["ps", "--format", "json", "n1"]).output == "[\(pid)]\n")
    }

    /// Joining a namespace by path (a pod's shared IPC namespace).
    @Test func joinsANamespaceByPath() throws {
        let holder = try Background(["/usr/bin/unshare", "--ipc", "sleep", "60"])
        defer { holder.stop() }
        var ipc: String?
        for _ in 0..<200 {
            ipc = namespace(holder.process.processIdentifier, "ipc")
            if ipc != nil && ipc != namespace(getpid(), "ipc") { break }
            usleep(10_000)
        }
        let path = "/proc/\(holder.process.processIdentifier)/ns/ipc"
        let b = try UkvmOCITests.Bundle("hello", args: ["/hello.ukvm"],
                                        extra: #","linux":{"namespaces":[{"type":"ipc","path":"\#(path)"}]}"#)
        #expect(b.oci(["create", "--bundle", b.dir, "--pid-file", b.dir + "/pid", "j1"]).status == 0)
        defer { _ = b.oci(["delete", "--force", "j1"]) }
        let pid = Int32(try String(contentsOfFile: b.dir + "/pid", encoding: .utf8)) ?? 0
        #expect(namespace(pid, "ipc") == ipc && ipc != namespace(getpid(), "ipc"))
        let bad = try UkvmOCITests.Bundle("hello", args: ["/hello.ukvm"],
                                          extra: #","linux":{"namespaces":[{"type":"uts","path":"/nonexistent/uts"}]}"#)
        let r = bad.oci(["create", "--bundle", bad.dir, "j2"])
        #expect(r.status == 1 && r.errorOutput.contains("uts namespace /nonexistent/uts: No such file or directory"),
                "\(r)")
        #expect(!FileManager.default.fileExists(atPath: bad.root + "/j2"))
    }
}

@Suite("ukvm-oci: namespaces under containerd", .serialized,
       .enabled(if: containerdUnavailable == nil, "needs root, /dev/kvm and containerd"))
struct OCIContainerdNamespaceTests {
    /// ctr's default spec lists pid, ipc, uts, mount and network: the task
    /// is one process (ctr task ps), isolated as above.
    @Test func taskIsOneIsolatedProcess() throws {
        let containerd = try Containerd()
        let archive = TempFile(size: 0, name: "memtouch.oci.tar")
        let ref = "localhost/ukvmtest/memtouch:latest"
        #expect(run([binPath("ukvm-oci"), "image", "--output", archive.path, "--name", ref,
                     ukvmImage("memtouch"), "wait"]).status == 0)
        try containerd.importImage(archive.path)
        let started = containerd.ctr(["run", "-d"] + containerd.ukvmOCI + [ref, "ns1"])
        #expect(started.status == 0, "\(started)")
        defer {
            containerd.ctr(["task", "kill", "-s", "SIGKILL", "ns1"])
            containerd.ctr(["task", "delete", "-f", "ns1"])
            containerd.ctr(["container", "delete", "ns1"])
        }
        let line = containerd.ctr(["task", "ls"]).output.split(separator: "\n").first { $0.hasPrefix("ns1 ") }
        let pid = try #require(line?.split(separator: " ").dropFirst().first.flatMap { Int32($0) })
        var rooted = false
        for _ in 0..<6000 where !rooted {
            rooted = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/root")) ?? []).contains("proc")
            usleep(10_000)
        }
        try OCINamespaceTests.expectIsolated(pid)
        let ps = containerd.ctr(["task", "ps", "ns1"]).output.split(separator: "\n")
        #expect(ps.count == 2 && ps[1].hasPrefix("\(pid) "), "\(ps)")
    }
}
