// OCICgroupTests.swift: the container's cgroup on this machine's real
// hierarchy: the container process is in linux.cgroupsPath from create on,
// its limits hold (a guest that touches all of its memory under a 64 MiB
// limit is not OOM-killed), pause and resume freeze and thaw it, update
// refuses memory below the guest's, events and ps report it, and delete
// removes the cgroup; then the same through containerd's shim and ctr
// (task metrics, pause, resume). Every cgroup a test names is unique, and
// removed on every path out.

import Foundation
import Testing
import TestSupport

/// The cgroup hierarchies' mount points that hold `path` now (v1: one per
/// hierarchy; v2: the unified one).
func cgroupDirectories(_ path: String) -> [String] {
    let all = ((try? FileManager.default.contentsOfDirectory(atPath: "/sys/fs/cgroup")) ?? [])
        .map { "/sys/fs/cgroup/\($0)" + path } + ["/sys/fs/cgroup" + path]
    return all.filter { var d: ObjCBool = false; return FileManager.default.fileExists(atPath: $0, isDirectory: &d) && d.boolValue }
}

/// The v1 memory hierarchy's directory of `path` (this machine's layout).
func memoryCgroup(_ path: String) -> String { "/sys/fs/cgroup/memory" + path }

func cgroupNumber(_ file: String) -> UInt64? {
    (try? String(contentsOfFile: file, encoding: .utf8)).flatMap { UInt64($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
}

func cgroupKeyed(_ file: String, _ key: String) -> UInt64? {
    let text = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
    return text.split(separator: "\n").first { $0.hasPrefix(key + " ") }.flatMap { UInt64($0.split(separator: " ")[1]) }
}

@Suite("ukvm-oci: cgroups", .serialized, .enabled(if: kvmUnavailable == nil, "needs /dev/kvm"),
       .enabled(if: getuid() == 0, "cgroups need root"),
       .enabled(if: FileManager.default.fileExists(atPath: "/sys/fs/cgroup/memory/memory.limit_in_bytes"),
                "this suite reads cgroup v1's files (the machine's hierarchy); CgroupTests covers v2's logic"))
struct OCICgroupTests {
    let path = "/ukvmtest-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"

    /// Removes what a failed test left of `path`.
    func sweep() {
        for d in cgroupDirectories(path) {
            _ = sh("for p in $(cat \(d)/cgroup.procs 2>/dev/null); do kill -9 $p; done; rmdir \(d)")
        }
    }

    @Test func limitsPauseUpdateEventsDelete() throws {
        defer { sweep() }
        let linux = #","linux":{"cgroupsPath":"\#(path)","resources":{"memory":{"limit":67108864},"cpu":{"shares":512},"pids":{"limit":8}}}"#
        let b = try UkvmOCITests.Bundle("memtouch", args: ["/memtouch.ukvm", "wait"], extra: linux)
        let create = b.oci(["create", "--bundle", b.dir, "--pid-file", b.dir + "/pid", "g1"])
        #expect(create.status == 0, "\(create)")
        let pid = Int32(try String(contentsOfFile: b.dir + "/pid", encoding: .utf8)) ?? 0
        // In its cgroup from create on, before start.
        let cgroups = try String(contentsOfFile: "/proc/\(pid)/cgroup", encoding: .utf8)
        #expect(cgroups.contains(":memory:\(path)\n") && cgroups.contains(":pids:\(path)\n"), "\(cgroups)")
        #expect(cgroupNumber(memoryCgroup(path) + "/memory.limit_in_bytes") == 64 << 20)
        #expect(cgroupNumber("/sys/fs/cgroup/cpu\(path)/cpu.shares") == 512)
        #expect(cgroupNumber("/sys/fs/cgroup/pids\(path)/pids.max") == 8)
        #expect(b.oci(["start", "g1"]).status == 0)
        var console = ""
        for _ in 0..<6000 where !console.contains("memtouch: waiting") {
            console = (try? String(contentsOfFile: b.dir + "/out.1", encoding: .utf8)) ?? ""
            usleep(10_000)
        }
        // The guest got what the limit leaves beside the monitor, touched
        // all of it, and the container was not OOM-killed.
        #expect(console.contains("54 MB addressable") && console.contains("memtouch: waiting"), "\(console)")
        let usage = cgroupNumber(memoryCgroup(path) + "/memory.usage_in_bytes") ?? 0
        #expect(usage > 48 << 20 && usage <= 64 << 20, "usage \(usage)")
        #expect(cgroupKeyed(memoryCgroup(path) + "/memory.oom_control", "oom_kill") == 0)
        #expect(b.state("g1")?["status"] as? String == "running")

        #expect(b.oci(["ps", "--format", "json", "g1"]).output == "[\(pid)]\n")
        let table = b.oci(["ps", "g1"]).output.split(separator: "\n")
        #expect(table.count == 2 && table[0].contains("PID") && table[1].contains(" \(pid) "), "\(table)")
        let stats = b.oci(["events", "--stats", "g1"])
        let event = try JSONSerialization.jsonObject(with: Data(stats.output.utf8)) as? [String: Any]
        let data = event?["data"] as? [String: Any]
        let memory = (data?["memory"] as? [String: Any])?["usage"] as? [String: Any]
        #expect(event?["type"] as? String == "stats" && event?["id"] as? String == "g1", "\(stats)")
        #expect((memory?["usage"] as? Int ?? 0) > 48 << 20 && memory?["limit"] as? Int == 64 << 20, "\(stats)")
        let cpu = ((data?["cpu"] as? [String: Any])?["usage"] as? [String: Any])?["total"] as? Int ?? 0
        #expect(cpu > 0, "\(stats)")
        // The monitor, and KVM's kernel thread for the VM (which joins the
        // creator's cgroups).
        #expect(((data?["pids"] as? [String: Any])?["current"] as? Int ?? 0) >= 1, "\(stats)")

        #expect(b.oci(["pause", "g1"]).status == 0)
        #expect(b.state("g1")?["status"] as? String == "paused")
        #expect((try? String(contentsOfFile: "/sys/fs/cgroup/freezer\(path)/freezer.state", encoding: .utf8)) == "FROZEN\n")
        #expect(b.oci(["pause", "g1"]).errorOutput.contains("already paused"))
        #expect(b.oci(["resume", "g1"]).status == 0)
        #expect(b.state("g1")?["status"] as? String == "running")
        #expect(b.oci(["resume", "g1"]).errorOutput.contains("not paused"))

        let low = b.oci(["update", "--memory", "32m", "g1"])
        #expect(low.status == 1 && low.errorOutput.contains("below what a 54 MiB guest and its monitor"), "\(low)")
        #expect(cgroupNumber(memoryCgroup(path) + "/memory.limit_in_bytes") == 64 << 20)
        let up = b.oci(["update", "--memory", "96m", "--pids-limit", "16", "--cpu-quota", "50000", "g1"])
        #expect(up.status == 0, "\(up)")
        #expect(cgroupNumber(memoryCgroup(path) + "/memory.limit_in_bytes") == 96 << 20)
        #expect(cgroupNumber("/sys/fs/cgroup/pids\(path)/pids.max") == 16)
        #expect(cgroupNumber("/sys/fs/cgroup/cpu\(path)/cpu.cfs_quota_us") == 50000)

        // Paused, then deleted by force: thawed to die, and the cgroup goes.
        #expect(b.oci(["pause", "g1"]).status == 0)
        #expect(b.oci(["delete", "--force", "g1"]).status == 0)
        #expect(kill(pid, 0) != 0 || sh("grep -q '^State:.*Z' /proc/\(pid)/status").status == 0)
        #expect(cgroupDirectories(path).isEmpty, "left: \(cgroupDirectories(path))")
    }

    /// ukvm-oci with `globals` before the command, its output through files
    /// (a container process keeps a pipe open: see UkvmOCITests.Bundle.oci).
    func oci(_ b: UkvmOCITests.Bundle, _ globals: [String], _ args: [String]) -> ProcessResult {
        let argv = [binPath("ukvm-oci"), "--root", b.root] + globals + args
        let out = b.dir + "/g.out", err = b.dir + "/g.err"
        let r = sh("exec " + argv.map { "'\($0)'" }.joined(separator: " ") + " >\(out) 2>\(err)", timeout: 30)
        return ProcessResult(status: r.status, output: (try? String(contentsOfFile: out, encoding: .utf8)) ?? "",
                             errorOutput: (try? String(contentsOfFile: err, encoding: .utf8)) ?? "",
                             timedOut: r.timedOut)
    }

    /// --systemd-cgroup without systemd: slice:prefix:name placed where
    /// runc's systemd driver would put it, through cgroupfs.
    @Test(.enabled(if: !FileManager.default.fileExists(atPath: "/run/systemd/system"), "systemd runs here"))
    func systemdPathWithoutSystemd() throws {
        let slice = "ukvmtest\(getpid())x\(UInt32.random(in: 0...UInt32.max))"
        let scope = "/\(slice).slice/ukvm-s1.scope"
        defer {
            for d in cgroupDirectories(scope) { rmdir(d) }
            for d in cgroupDirectories("/\(slice).slice") { rmdir(d) }
        }
        let linux = #","linux":{"cgroupsPath":"\#(slice).slice:ukvm:s1"}"#
        let b = try UkvmOCITests.Bundle("hello", args: ["/hello.ukvm"], extra: linux)
        let r = oci(b, ["--systemd-cgroup"], ["create", "--bundle", b.dir, "--pid-file", b.dir + "/pid", "s1"])
        #expect(r.status == 0, "\(r)")
        let pid = Int32((try? String(contentsOfFile: b.dir + "/pid", encoding: .utf8)) ?? "") ?? 0
        let cgroups = (try? String(contentsOfFile: "/proc/\(pid)/cgroup", encoding: .utf8)) ?? ""
        #expect(cgroups.contains(":memory:\(scope)\n"), "\(cgroups)")
        #expect(oci(b, ["--systemd-cgroup"], ["delete", "--force", "s1"]).status == 0)
        #expect(cgroupDirectories(scope).isEmpty)
        let plain = try UkvmOCITests.Bundle("hello", args: ["/hello.ukvm"],
                                            extra: #","linux":{"cgroupsPath":"/not/a/slice"}"#)
        let refused = oci(plain, ["--systemd-cgroup"], ["create", "--bundle", plain.dir, "s3"])
        #expect(refused.status == 1 && refused.errorOutput.contains("expected \"slice:prefix:name\""), "\(refused)")
    }

    /// A cgroup that cannot be made fails create, leaving nothing.
    @Test func unusableCgroupFailsCreate() throws {
        defer { sweep() }
        let linux = #","linux":{"cgroupsPath":"\#(path)","resources":{"cpu":{"cpus":"4096"}}}"#
        let b = try UkvmOCITests.Bundle("hello", args: ["/hello.ukvm"], extra: linux)
        let r = b.oci(["create", "--bundle", b.dir, "x1"])
        #expect(r.status == 1 && r.errorOutput.contains("cgroup \(path): ") && r.errorOutput.contains("cpuset.cpus"),
                "\(r)")
        #expect(cgroupDirectories(path).isEmpty, "left: \(cgroupDirectories(path))")
        #expect(!FileManager.default.fileExists(atPath: b.root + "/x1"))
    }
}

@Suite("ukvm-oci: cgroups under containerd", .serialized,
       .enabled(if: containerdUnavailable == nil, "needs root, /dev/kvm and containerd"),
       .enabled(if: FileManager.default.fileExists(atPath: "/sys/fs/cgroup/memory/memory.limit_in_bytes"),
                "reads cgroup v1's files"))
struct OCIContainerdCgroupTests {
    /// ctr run --memory-limit 64 MiB: ctr task metrics shows the guest's own
    /// memory (all it touched, within the limit) and CPU time; ctr task
    /// pause and resume work; the cgroup is gone after delete.
    @Test func metricsPauseResume() throws {
        let containerd = try Containerd()
        let archive = TempFile(size: 0, name: "memtouch.oci.tar")
        let ref = "localhost/ukvmtest/memtouch:latest"
        let built = run([binPath("ukvm-oci"), "image", "--output", archive.path, "--name", ref,
                         ukvmImage("memtouch"), "wait"])
        #expect(built.status == 0, "\(built)")
        try containerd.importImage(archive.path)
        let cgroup = "/\(containerd.namespace)/m1"
        let started = containerd.ctr(["run", "-d", "--memory-limit", "67108864"] + containerd.ukvmOCI + [ref, "m1"])
        #expect(started.status == 0, "\(started)")
        defer {
            containerd.ctr(["task", "kill", "-s", "SIGKILL", "m1"])
            containerd.ctr(["task", "delete", "-f", "m1"])
            containerd.ctr(["container", "delete", "m1"])
        }
        var usage: UInt64 = 0
        for _ in 0..<6000 where usage < 48 << 20 {
            usage = cgroupNumber(memoryCgroup(cgroup) + "/memory.usage_in_bytes") ?? 0
            usleep(10_000)
        }
        #expect(usage >= 48 << 20 && usage <= 64 << 20, "usage \(usage)")
        let metrics = containerd.ctr(["task", "metrics", "m1"])
        #expect(metrics.status == 0, "\(metrics)")
        // ctr's table: "memory.usage_in_bytes   N", "memory.limit_in_bytes   N", "cpuacct.usage   N".
        func figure(_ name: String) -> UInt64? {
            metrics.output.split(separator: "\n").first { $0.hasPrefix(name + " ") }
                .flatMap { UInt64($0.split(separator: " ").last ?? "") }
        }
        #expect(figure("memory.limit_in_bytes") == 64 << 20, "\(metrics)")
        #expect((figure("memory.usage_in_bytes") ?? 0) >= 48 << 20, "\(metrics)")
        #expect((figure("cpuacct.usage") ?? 0) > 0, "\(metrics)")
        #expect(containerd.ctr(["task", "pause", "m1"]).status == 0)
        #expect(containerd.ctr(["task", "ls"]).output.contains("PAUSED"))
        #expect((try? String(contentsOfFile: "/sys/fs/cgroup/freezer\(cgroup)/freezer.state", encoding: .utf8))
            == "FROZEN\n")
        #expect(containerd.ctr(["task", "resume", "m1"]).status == 0)
        #expect(containerd.ctr(["task", "ls"]).output.contains("RUNNING"))
        #expect(cgroupKeyed(memoryCgroup(cgroup) + "/memory.oom_control", "oom_kill") == 0)
        #expect(containerd.ctr(["task", "kill", "-s", "SIGKILL", "m1"]).status == 0)
        for _ in 0..<500 where !containerd.ctr(["task", "ls"]).output.contains("STOPPED") { usleep(10_000) }
        #expect(containerd.ctr(["task", "delete", "m1"]).status == 0)
        #expect(cgroupDirectories(cgroup).isEmpty, "left: \(cgroupDirectories(cgroup))")
    }
}
