// CgroupTests.swift: the cgroup logic of ukvm-oci against temporary trees:
// where linux.cgroupsPath puts a container (cgroupfs and systemd forms),
// the hierarchies of a mountinfo, and what the v1 and v2 managers write
// and read. The real hierarchy is tested end to end (OCICgroupTests).

import Foundation
import Testing
import TestSupport
@testable import OCI

@Suite struct CgroupTests {
    @Test func cgroupfsPaths() throws {
        #expect(try CgroupPath.resolve("/default/c1", id: "c1", systemd: false, own: "/x") == "/default/c1")
        #expect(try CgroupPath.resolve("//a/./b/", id: "c1", systemd: false, own: "/") == "/a/b")
        #expect(try CgroupPath.resolve("sub/c1", id: "c1", systemd: false, own: "/user/me") == "/user/me/sub/c1")
        #expect(try CgroupPath.resolve(nil, id: "c1", systemd: false, own: "/x") == "/c1")
        #expect(throws: OCIError.self) { try CgroupPath.resolve("/a/../../etc", id: "c", systemd: false, own: "/") }
        #expect(throws: OCIError.self) { try CgroupPath.resolve("/", id: "c", systemd: false, own: "/") }
    }

    @Test func systemdPaths() throws {
        #expect(try CgroupPath.resolve("system.slice:docker:abc", id: "abc", systemd: true, own: "/")
            == "/system.slice/docker-abc.scope")
        #expect(try CgroupPath.resolve("kubepods-burstable-pod12.slice:cri-containerd:abc", id: "abc",
                                       systemd: true, own: "/")
            == "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod12.slice/cri-containerd-abc.scope")
        #expect(try CgroupPath.resolve("-.slice::abc", id: "abc", systemd: true, own: "/") == "/abc.scope")
        #expect(try CgroupPath.resolve(":libpod:abc", id: "abc", systemd: true, own: "/")
            == "/system.slice/libpod-abc.scope")
        #expect(try CgroupPath.resolve("user.slice:p:sub.slice", id: "x", systemd: true, own: "/")
            == "/user.slice/sub.slice")
        #expect(try CgroupPath.resolve(nil, id: "c9", systemd: true, own: "/") == "/system.slice/ukvm-oci-c9.scope")
        for bad in ["/a/b", "a:b", "nota-slice:p:n", "a--b.slice:p:n", "s.slice:p:"] {
            #expect(throws: OCIError.self, "\(bad)") { try CgroupPath.resolve(bad, id: "c", systemd: true, own: "/") }
        }
    }

    static let hybridMountinfo = """
        30 23 0:26 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755
        31 30 0:27 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:10 - cgroup2 cgroup2 rw
        32 30 0:28 / /sys/fs/cgroup/systemd rw,nosuid shared:11 - cgroup cgroup rw,xattr,name=systemd
        35 30 0:31 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid shared:15 - cgroup cgroup rw,cpu,cpuacct
        36 30 0:32 / /sys/fs/cgroup/memory rw,nosuid shared:16 - cgroup cgroup rw,memory
        37 30 0:33 / /sys/fs/cgroup/with\\040space rw shared:17 - cgroup cgroup rw,pids
        """

    @Test func hierarchiesOfAMountinfo() {
        let m = CgroupMounts.parse(mountinfo: CgroupTests.hybridMountinfo)
        #expect(m.version == 1)
        #expect(m.unified == "/sys/fs/cgroup/unified")
        #expect(m.hierarchy("cpuacct")?.mountpoint == "/sys/fs/cgroup/cpu,cpuacct")
        #expect(m.hierarchy("memory")?.controllers == ["memory"])
        #expect(m.hierarchy("pids")?.mountpoint == "/sys/fs/cgroup/with space")
        #expect(m.v1.count == 4)
        let v2 = CgroupMounts.parse(mountinfo: "40 1 0:30 / /sys/fs/cgroup rw shared:4 - cgroup2 cgroup2 rw,nsdelegate")
        #expect(v2.version == 2 && v2.unified == "/sys/fs/cgroup" && v2.v1.isEmpty)
        #expect(CgroupMounts.parse(mountinfo: "").version == nil)
        let own = CgroupMounts.parse(procCgroup: "4:memory:/a/b\n2:cpu,cpuacct:/\n1:name=systemd:/s\n0::/u\n")
        #expect(own["memory"] == "/a/b" && own["cpuacct"] == "/" && own["name=systemd"] == "/s" && own[""] == "/u")
    }

    /// A v1 layout of plain directories: memory, cpu,cpuacct, cpuset (with
    /// the root's CPUs and nodes), pids, freezer.
    func v1Tree() throws -> (TempDirectory, CgroupV1) {
        let t = TempDirectory(name: "cgv1")
        var hierarchies: [CgroupMounts.Hierarchy] = []
        for (dir, controllers) in [("memory", ["memory"]), ("cpu,cpuacct", ["cpu", "cpuacct"]),
                                   ("cpuset", ["cpuset"]), ("pids", ["pids"]), ("freezer", ["freezer"])] {
            try FileManager.default.createDirectory(atPath: t.path + "/" + dir, withIntermediateDirectories: true)
            hierarchies.append(.init(mountpoint: t.path + "/" + dir, controllers: controllers))
        }
        try "0-3\n".write(toFile: t.path + "/cpuset/cpuset.cpus", atomically: false, encoding: .utf8)
        try "0\n".write(toFile: t.path + "/cpuset/cpuset.mems", atomically: false, encoding: .utf8)
        return (t, CgroupV1(path: "/pod/c1", mounts: CgroupMounts(v1: hierarchies, unified: nil)))
    }

    func read(_ path: String) -> String? { try? String(contentsOfFile: path, encoding: .utf8) }

    @Test func v1ApplySetFreeze() throws {
        let (t, cg) = try v1Tree()
        try cg.apply(pid: 4242)
        for dir in ["memory", "cpu,cpuacct", "cpuset", "pids", "freezer"] {
            #expect(read(t.path + "/\(dir)/pod/c1/cgroup.procs") == "4242", "\(dir)")
        }
        // A new cpuset takes its parent's CPUs and nodes, at every level.
        #expect(read(t.path + "/cpuset/pod/cpuset.cpus") == "0-3" && read(t.path + "/cpuset/pod/c1/cpuset.mems") == "0")
        var r = CgroupResources()
        r.memoryLimit = 64 << 20
        r.memoryReservation = 32 << 20
        r.cpuShares = 512
        r.cpuQuota = 50000
        r.cpuPeriod = 100_000
        r.cpusetCPUs = "1"
        r.pidsLimit = 0
        try cg.set(r)
        let c1 = t.path + "/%@/pod/c1/"
        func file(_ dir: String, _ name: String) -> String? { read(c1.replacingOccurrences(of: "%@", with: dir) + name) }
        #expect(file("memory", "memory.limit_in_bytes") == "67108864")
        #expect(file("memory", "memory.soft_limit_in_bytes") == "33554432")
        #expect(file("memory", "memory.memsw.limit_in_bytes") == nil, "no swap accounting file: left alone")
        #expect(file("cpu,cpuacct", "cpu.shares") == "512")
        #expect(file("cpu,cpuacct", "cpu.cfs_quota_us") == "50000" && file("cpu,cpuacct", "cpu.cfs_period_us") == "100000")
        #expect(file("cpuset", "cpuset.cpus") == "1")
        #expect(file("pids", "pids.max") == "max")
        try cg.freeze()
        #expect(cg.isFrozen && file("freezer", "freezer.state") == "FROZEN")
        try cg.thaw()
        #expect(!cg.isFrozen)
    }

    @Test func v1Stats() throws {
        let (t, cg) = try v1Tree()
        try cg.apply(pid: 1)
        let base = t.path
        func put(_ dir: String, _ name: String, _ text: String) throws {
            try text.write(toFile: "\(base)/\(dir)/pod/c1/\(name)", atomically: false, encoding: .utf8)
        }
        try put("cpu,cpuacct", "cpuacct.usage", "123456789\n")
        try put("cpu,cpuacct", "cpuacct.usage_percpu", "100000000 23456789 \n")
        try put("cpu,cpuacct", "cpuacct.stat", "user 7\nsystem 3\n")
        try put("cpu,cpuacct", "cpu.stat", "nr_periods 10\nnr_throttled 2\nthrottled_time 5000\n")
        try put("memory", "memory.usage_in_bytes", "50000000\n")
        try put("memory", "memory.max_usage_in_bytes", "60000000\n")
        try put("memory", "memory.limit_in_bytes", "67108864\n")
        try put("memory", "memory.failcnt", "0\n")
        try put("memory", "memory.stat", "cache 4096\nrss 49000000\n")
        try put("memory", "memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n")
        try put("pids", "pids.current", "1\n")
        try put("pids", "pids.max", "max\n")
        let s = cg.stats()
        #expect(s.cpuTotal == 123_456_789 && s.cpuPerCPU == [100_000_000, 23_456_789])
        let tick = UInt64(1_000_000_000 / sysconf(Int32(_SC_CLK_TCK)))
        #expect(s.cpuUser == 7 * tick && s.cpuKernel == 3 * tick)
        #expect(s.throttlingPeriods == 10 && s.throttledPeriods == 2 && s.throttledTime == 5000)
        #expect(s.memoryUsage == 50_000_000 && s.memoryMaxUsage == 60_000_000 && s.memoryLimit == 67_108_864)
        #expect(s.memoryCache == 4096 && s.memoryRaw.count == 2)
        #expect(s.pidsCurrent == 1 && s.pidsLimit == 0)
        #expect(cg.oomKills == 1)
        let json = s.json.serialized
        #expect(json.contains(#""usage":{"limit":67108864,"usage":50000000,"max":60000000,"failcnt":0}"#), "\(json)")
        #expect(cg.pids() == [1])
    }

    @Test func v2ApplySet() throws {
        let t = TempDirectory(name: "cgv2")
        try "cpuset cpu io memory pids\n".write(toFile: t.path + "/cgroup.controllers", atomically: false, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: t.path + "/pod", withIntermediateDirectories: true)
        try "cpuset cpu memory pids\n".write(toFile: t.path + "/pod/cgroup.controllers", atomically: false, encoding: .utf8)
        try "memory\n".write(toFile: t.path + "/pod/cgroup.subtree_control", atomically: false, encoding: .utf8)
        let cg = CgroupV2(path: "/pod/c1", mountpoint: t.path)
        try cg.apply(pid: 77)
        #expect(read(t.path + "/cgroup.subtree_control") == "+cpu +cpuset +memory +pids")
        #expect(read(t.path + "/pod/cgroup.subtree_control") == "+cpu +cpuset +pids", "only what is missing")
        #expect(read(t.path + "/pod/c1/cgroup.procs") == "77")
        try "max\n".write(toFile: t.path + "/pod/c1/memory.swap.max", atomically: false, encoding: .utf8)
        var r = CgroupResources()
        r.memoryLimit = 64 << 20
        r.memorySwap = 128 << 20
        r.cpuShares = 1024
        r.cpuQuota = 50000
        r.pidsLimit = 16
        try cg.set(r)
        #expect(read(t.path + "/pod/c1/memory.max") == "67108864")
        #expect(read(t.path + "/pod/c1/memory.swap.max") == "67108864", "v2 swap is v1's memsw minus the limit")
        #expect(read(t.path + "/pod/c1/cpu.weight") == "39")
        #expect(read(t.path + "/pod/c1/cpu.max") == "50000 100000")
        #expect(read(t.path + "/pod/c1/pids.max") == "16")
        r = CgroupResources()
        r.cpuQuota = -1
        r.memoryLimit = -1
        try cg.set(r)
        #expect(read(t.path + "/pod/c1/cpu.max") == "max 100000" && read(t.path + "/pod/c1/memory.max") == "max")
        try "populated 1\nfrozen 1\n".write(toFile: t.path + "/pod/c1/cgroup.events", atomically: false, encoding: .utf8)
        try cg.freeze()
        #expect(read(t.path + "/pod/c1/cgroup.freeze") == "1" && cg.isFrozen)
        try "cpu.weight stays".write(toFile: t.path + "/pod/c1/cpu.stat",
                                     atomically: false, encoding: .utf8)
        try "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\n".write(toFile: t.path + "/pod/c1/cpu.stat",
                                                                     atomically: false, encoding: .utf8)
        try "52428800\n".write(toFile: t.path + "/pod/c1/memory.current", atomically: false, encoding: .utf8)
        let s = cg.stats()
        #expect(s.cpuTotal == 1_500_000 && s.cpuUser == 1_000_000 && s.cpuKernel == 500_000)
        #expect(s.memoryUsage == 52_428_800)
        #expect(CgroupV2.weight(shares: 2) == 1 && CgroupV2.weight(shares: 262144) == 10000)
    }

    @Test func memoryBudget() throws {
        #expect(MemoryBudget.guestMiB(limit: 64 << 20) == 54)
        #expect(MemoryBudget.guestMiB(limit: 1 << 30) == 1000)
        #expect(MemoryBudget.guestMiB(limit: 10 << 20) == nil)
        for limit: UInt64 in [12, 64, 100, 512, 4200] {
            let g = try #require(MemoryBudget.guestMiB(limit: limit << 20))
            #expect(MemoryBudget.fits(guestMiB: g, limit: limit << 20))
            #expect(!MemoryBudget.fits(guestMiB: g + 2, limit: limit << 20))
        }
        var spec = try RuntimeSpec.parse(Array(OCISpecTests.minimal.utf8))
        spec.memoryLimit = 64 << 20
        #expect(try Conventions.memoryMiB(spec) == 54)
        spec.annotations = [("org.solo5.memory", "64")]
        #expect {
            try Conventions.memoryMiB(spec)
        } throws: { error in
            (error as? OCIError)?.message.contains("is below what a 64 MiB guest and its monitor (9 MiB) need: 73 MiB")
                == true
        }
        spec.annotations = [("org.solo5.memory", "32")]
        #expect(try Conventions.memoryMiB(spec) == 32)
    }

    @Test func updateFlags() throws {
        #expect(try UpdateFlags.size("64m", "memory") == 64 << 20)
        #expect(try UpdateFlags.size("1GiB", "memory") == 1 << 30)
        #expect(try UpdateFlags.size("4096", "memory") == 4096)
        #expect(try UpdateFlags.size("-1", "memory") == -1)
        #expect(throws: OCIError.self) { try UpdateFlags.size("64x", "memory") }
        #expect(try UpdateFlags.duration("500ms") == 500_000 && UpdateFlags.duration("5s") == 5_000_000)
        var p = ParsedFlags()
        p.values = ["memory": "128m", "cpu-quota": "20000", "pids-limit": "8"]
        let r = try UpdateFlags.resources(p)
        #expect(r.memoryLimit == 128 << 20 && r.cpuQuota == 20000 && r.pidsLimit == 8 && r.cpuShares == nil)
        p.values = ["blkio-weight": "10"]
        #expect(throws: OCIError.self) { try UpdateFlags.resources(p) }
    }

    @Test func resourcesAndNamespacesFromTheSpec() throws {
        let text = #"{"ociVersion":"1.0.2","process":{"args":["/u"]},"root":{"path":"r"},"hostname":"h1","linux":{"cgroupsPath":"/k8s/c","resources":{"memory":{"limit":67108864,"swap":134217728},"cpu":{"shares":256,"quota":-1,"cpus":"0-1"},"pids":{"limit":100}},"namespaces":[{"type":"pid"},{"type":"ipc","path":"/proc/1/ns/ipc"},{"type":"uts"},{"type":"mount"},{"type":"network","path":""}]}}"#
        let s = try RuntimeSpec.parse(Array(text.utf8))
        #expect(s.cgroupsPath == "/k8s/c" && s.hostname == "h1")
        #expect(s.resources.memoryLimit == 64 << 20 && s.resources.memorySwap == 128 << 20)
        #expect(s.resources.cpuShares == 256 && s.resources.cpuQuota == -1 && s.resources.cpusetCPUs == "0-1")
        #expect(s.resources.pidsLimit == 100)
        #expect(s.namespaces.map(\.kind) == [.pid, .ipc, .uts, .mount, .network])
        #expect(s.namespaces[1].path == "/proc/1/ns/ipc" && s.namespaces[4].path == nil)
        for bad in [#"[{"type":"user"}]"#, #"[{"type":"pid"},{"type":"pid"}]"#, #"[{"type":"bogus"}]"#] {
            let t = #"{"ociVersion":"1.0.2","process":{"args":["/u"]},"root":{"path":"r"},"linux":{"namespaces":\#(bad)}}"#
            #expect(throws: OCIError.self, "\(bad)") { try RuntimeSpec.parse(Array(t.utf8)) }
        }
    }
}
