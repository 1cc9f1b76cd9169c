// OCIHttpdTests.swift: solo5-httpd as a container. Its content image
// travels inside the OCI image as the block device the manifest declares;
// a containerd of the test's own runs it with ukvm-oci as the runc binary,
// in a network namespace the test made (its eth0 a veth whose peer is in a
// second namespace, where the clients run). Real clients (curl, ab) talk to
// the container's address; then the container is stopped and deleted, and
// nothing of it may be left.

import Foundation
import Testing
import TestSupport

@Suite("httpd: served through ukvm-oci under containerd", .serialized)
struct OCIHttpdTests {
    static let address = "10.74.0.2"

    /// The image: httpd.ukvm, the test site's content image at
    /// /solo5/block/storage, and the interface's address as its argument.
    func httpdImage() throws -> (archive: TempFile, ref: String) {
        let archive = TempFile(size: 0, name: "httpd.oci.tar")
        let ref = "localhost/ukvmtest/httpd:latest"
        let r = run([binPath("ukvm-oci"), "image", "--output", archive.path, "--name", ref,
                     "--disk", "storage=\(HttpdContent.shared.image)", ukvmImage("httpd"), "{{service0.cidr}}"],
                    timeout: 120)
        guard r.status == 0 else { throw SetupError("ukvm-oci image: \(r)") }
        return (archive, ref)
    }

    /// A content image that is not one: the container ends with the
    /// server's documented status 2 and its one line, which reaches ctr's
    /// output; nothing of the container is left.
    @Test func badContentImage() throws {
        if let reason = containerdUnavailable ?? networkUnavailable ?? httpdClientsUnavailable {
            return announceSkip(reason)
        }
        let (containerd, box, client) = try engineAndNetworks()
        let garbage = TempFile(size: 4096, name: "httpd-garbage")
        let archive = TempFile(size: 0, name: "httpd-bad.oci.tar")
        let ref = "localhost/ukvmtest/httpd-bad:latest"
        let image = run([binPath("ukvm-oci"), "image", "--output", archive.path, "--name", ref,
                         "--disk", "storage=\(garbage.path)", ukvmImage("httpd"), "{{service0.cidr}}"])
        try #require(image.status == 0, "\(image)")
        try containerd.importImage(archive.path)
        let r = containerd.ctr(["run", "--rm", "--with-ns", "network:\(box.path)"] + containerd.ukvmOCI
                               + [ref, "bad1"], timeout: 60)
        #expect(r.status == 2, "\(r)")
        #expect(r.output.contains("httpd: error: storage: not an httpd image (bad magic"), "\(r)")
        #expect(containerd.ctr(["container", "ls", "-q"]).output.isEmpty)
        #expect(containerd.stateEntries.isEmpty, "state left: \(containerd.stateEntries)")
        #expect(cgroupsLeft(containerd, "bad1").isEmpty, "cgroups left: \(cgroupsLeft(containerd, "bad1"))")
        #expect(!sh("tc -n \(box.name) qdisc show dev eth0").output.contains("ingress"), "a redirect is left")
        withExtendedLifetime(client) {}  // the veth's other end, until the container is gone
    }

    /// The suite's containerd, the container's namespace (`box`, whose
    /// eth0 the container takes) and the clients' namespace at the veth's
    /// other end.
    func engineAndNetworks() throws -> (Containerd, NetNamespace, NetNamespace) {
        let containerd = try Containerd()
        let box = try NetNamespace(), client = try NetNamespace()
        try box.addVeth("eth0", address: "\(Self.address)/24", peer: client, peerName: "client0",
                        peerAddress: "10.74.0.1/24")
        return (containerd, box, client)
    }

    /// The container's cgroup directories still present (containerd names
    /// it /NAMESPACE/ID), in every hierarchy.
    func cgroupsLeft(_ containerd: Containerd, _ id: String) -> [String] {
        let mounts = (try? FileManager.default.contentsOfDirectory(atPath: "/sys/fs/cgroup")) ?? []
        return (mounts.map { "/sys/fs/cgroup/\($0)" } + ["/sys/fs/cgroup"])
            .map { "\($0)/\(containerd.namespace)/\(id)" }
            .filter { FileManager.default.fileExists(atPath: $0) }
    }

    func taskLine(_ containerd: Containerd, _ id: String) -> String? {
        containerd.ctr(["task", "ls"]).output.split(separator: "\n").first { $0.hasPrefix(id + " ") }.map(String.init)
    }

    /// A page, a 64 MiB file (sha256) sent in large frames (large send on
    /// the inherited tap), 5,000 requests from 64 concurrent
    /// connections without a failure; then SIGTERM, task and container
    /// deleted: no task, container, snapshot, state, cgroup, tap, redirect,
    /// monitor or shim left.
    @Test func pagesLargeFileAndLoad() throws {
        if let reason = containerdUnavailable ?? networkUnavailable ?? httpdClientsUnavailable {
            return announceSkip(reason)
        }
        let (containerd, box, client) = try engineAndNetworks()
        let (archive, ref) = try httpdImage()
        try containerd.importImage(archive.path)
        let log = TempFile(size: 0, name: "httpd-console")
        let started = containerd.ctr(["run", "-d", "--with-ns", "network:\(box.path)", "--log-uri", "file://\(log.path)"]
                                     + containerd.ukvmOCI + [ref, "web1"], timeout: 120)
        #expect(started.status == 0, "\(started)")
        var console = ""
        let deadline = Date().addingTimeInterval(60)
        while !console.contains("httpd: serving") && Date() < deadline {
            usleep(20_000)
            console = (try? String(contentsOfFile: log.path, encoding: .utf8)) ?? ""
        }
        try #require(console.contains("httpd: serving"), "the server did not start: \(console)")
        let pid = taskLine(containerd, "web1")?.split(separator: " ").dropFirst().first.flatMap { Int32($0) }
        #expect(pid != nil)

        func curl(_ args: [String], _ path: String, timeout: Double = 120) -> ProcessResult {
            run(client.exec(["curl", "-sS", "--max-time", String(Int(timeout) - 5)] + args
                            + ["http://\(Self.address)\(path)"]), timeout: timeout)
        }
        let home = curl([], "/")
        #expect(home.status == 0 && home.output == HttpdContent.home, "\(home)")
        let codes = curl(["-o", "/dev/null", "-w", "%{http_code}"], "/nope")
        #expect(codes.output == "404", "\(codes)")
        let out = TempFile(size: 0, name: "httpd-oci-big")
        let big = curl(["-o", out.path, "-w", "%{http_code} %{size_download}"], "/big.bin", timeout: 300)
        #expect(big.output == "200 \(HttpdContent.bigSize)", "\(big)")
        #expect(String(sh("sha256sum '\(out.path)'").output.prefix(64)) == HttpdContent.shared.bigSHA256)
        // ukvm-oci's tap carries virtio-net headers, so the monitor offered
        // large send: the download went out in frames beyond the MTU.
        console = (try? String(contentsOfFile: log.path, encoding: .utf8)) ?? ""
        #expect(console.contains("httpd: large send: first frame"), "no large frame under ukvm-oci: \(console)")
        let ab = run(client.exec(["ab", "-q", "-c", "64", "-n", "5000", "-s", "30",
                                  "http://\(Self.address)/index.html"]), timeout: 300)
        #expect(ab.status == 0, "\(ab)")
        #expect(ab.output.contains("Complete requests:      5000"), "\(ab)")
        #expect(ab.output.contains("Failed requests:        0"), "\(ab)")
        #expect(!ab.output.contains("Non-2xx"), "\(ab)")

        let serving = sh("ip -n \(box.name) -o link show").output
        #expect(serving.contains(": ukvm0-"), "no tap of ukvm-oci's in the container's namespace: \(serving)")
        #expect(containerd.shimPIDs.count == 1, "shims: \(containerd.shimPIDs)")

        // Stopped and deleted as an operator does it.
        let term = containerd.ctr(["task", "kill", "web1"])
        #expect(term.status == 0, "\(term)")
        let stopBy = Date().addingTimeInterval(20)
        while !(taskLine(containerd, "web1")?.contains("STOPPED") ?? true) && Date() < stopBy { usleep(10_000) }
        let delete = containerd.ctr(["task", "delete", "web1"])
        #expect(delete.status == 0, "\(delete)")
        #expect(delete.errorOutput.contains("exit code 143"), "\(delete)")
        let remove = containerd.ctr(["container", "delete", "web1"])
        #expect(remove.status == 0, "\(remove)")
        #expect(containerd.ctr(["task", "ls", "-q"]).output.isEmpty)
        #expect(containerd.ctr(["container", "ls", "-q"]).output.isEmpty)
        let snapshots = containerd.ctr(["snapshots", "ls"]).output
        #expect(!snapshots.contains("web1"), "the container's snapshot is left: \(snapshots)")
        #expect(containerd.stateEntries.isEmpty, "state left: \(containerd.stateEntries)")
        #expect(cgroupsLeft(containerd, "web1").isEmpty, "cgroups left: \(cgroupsLeft(containerd, "web1"))")
        if let pid { #expect(kill(pid, 0) != 0, "the monitor, \(pid), is still there") }
        // The shim goes by itself once its last task is deleted.
        let shimBy = Date().addingTimeInterval(10)
        while !containerd.shimPIDs.isEmpty && Date() < shimBy { usleep(20_000) }
        #expect(containerd.shimPIDs.isEmpty, "shims left: \(containerd.shimPIDs)")
        let links = sh("ip -n \(box.name) -o link show").output
        #expect(!links.contains(": ukvm0-"), "a tap is left: \(links)") // ukvm-oci's ukvm<i>-<hash>
        #expect(!sh("tc -n \(box.name) qdisc show dev eth0").output.contains("ingress"), "a redirect is left")
    }
}
