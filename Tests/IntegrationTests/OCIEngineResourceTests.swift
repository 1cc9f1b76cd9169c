// OCIEngineResourceTests.swift: what the engines show and do through a
// unikernel's cgroup (docs/oci.md, Its cgroup, Memory): `stats` reads the
// guest's own memory and CPU, `pause`/`unpause` freeze and thaw it, `top`
// finds the monitor alone, and a 64 MiB limit leaves a guest that touches
// all its memory alive. Cases of OCIEngineTests, run against its one
// daemon per engine.

import Foundation
import Testing
import TestSupport

extension OCIEngineTests {
    static let mebibyte = 1 << 20

    /// A byte figure as the engines print it: Docker binary units
    /// ("55.2MiB"), podman SI ones ("57.93MB"); nil if unreadable.
    static func bytes(_ figure: Substring) -> Double? {
        let units: [(String, Double)] = [
            ("KiB", 1024), ("MiB", 1_048_576), ("GiB", 1_073_741_824), ("kB", 1e3), ("KB", 1e3), ("MB", 1e6),
            ("GB", 1e9), ("B", 1),
        ]
        let text = figure.trimmingCharacters(in: .whitespaces)
        for (unit, scale) in units where text.hasSuffix(unit) {
            return Double(text.dropLast(unit.count)).map { $0 * scale }
        }
        return nil
    }

    /// How many MiB memtouch says it touched, from its log.
    static func touched(_ log: String) -> Int? {
        guard let line = log.split(separator: "\n").first(where: { $0.hasPrefix("memtouch: touched ") }) else {
            return nil
        }
        return Int(line.split(separator: " ")[2])
    }

    /// The memory cgroup limit of the container's process, as the kernel
    /// enforces it (cgroup v1 memory hierarchy, or v2 memory.max).
    static func cgroupMemoryLimit(pid: String) -> String {
        let lines = (try? String(contentsOfFile: "/proc/\(pid)/cgroup", encoding: .utf8)) ?? ""
        for line in lines.split(separator: "\n") {
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3 else { continue }
            if fields[1].split(separator: ",").contains("memory") {
                return ((try? String(contentsOfFile: "/sys/fs/cgroup/memory\(fields[2])/memory.limit_in_bytes",
                                     encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            }
        }
        for line in lines.split(separator: "\n") where line.hasPrefix("0::") {
            return ((try? String(contentsOfFile: "/sys/fs/cgroup\(line.dropFirst(3))/memory.max",
                                 encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return ""
    }

    /// --memory=64m with memtouch writing every page of its 54 MiB guest:
    /// status 0, not OOM-killed, and the limit `inspect` reports is the
    /// one the cgroup enforces.
    func memoryTouchedNotOOMKilled(_ e: ContainerEngine) {
        let r = e.cli(["run", "--name", "mt2", "--memory", "64m"] + e.ukvmRuntime + [Images.memtouch], timeout: 120)
        defer { e.cli(["rm", "-f", "mt2"]) }
        #expect(r.status == 0 && r.output.contains("54 MB addressable") && Self.touched(r.output) != nil,
                "\(e.name): \(r)")
        let inspect = e.cli(["inspect", "-f", "{{.State.OOMKilled}} {{.State.ExitCode}} {{.HostConfig.Memory}}", "mt2"])
        #expect(inspect.output.trimmingCharacters(in: .whitespacesAndNewlines) == "false 0 67108864",
                "\(e.name): \(inspect)")

        // The cgroup of a running one holds the limit inspect shows.
        #expect(e.cli(["run", "-d", "--name", "mt3", "--memory", "64m"] + e.ukvmRuntime + [Images.memtouch, "wait"])
            .status == 0)
        defer { e.cli(["rm", "-f", "mt3"]) }
        #expect(e.waitForLog("mt3", "memtouch: waiting", timeout: 120), "\(e.name): \(e.cli(["logs", "mt3"]))")
        let pid = e.cli(["inspect", "-f", "{{.State.Pid}}", "mt3"]).output.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(Self.cgroupMemoryLimit(pid: pid) == "67108864", "\(e.name): pid \(pid)")
        let running = e.cli(["inspect", "-f", "{{.State.Running}} {{.State.OOMKilled}}", "mt3"])
        #expect(running.output.hasPrefix("true false"), "\(e.name): \(running)")
    }

    /// `stats --no-stream`: a guest that touched all its memory shows at
    /// least that much and no more than its 64 MiB limit; a spinning one
    /// shows CPU of its own.
    func stats(_ e: ContainerEngine) {
        #expect(e.cli(["run", "-d", "--name", "mt1", "--memory", "64m"] + e.ukvmRuntime + [Images.memtouch, "wait"])
            .status == 0)
        #expect(e.cli(["run", "-d", "--name", "spin3", "--memory", "64m"] + e.ukvmRuntime + [Images.spin]).status == 0)
        defer { e.cli(["rm", "-f", "mt1", "spin3"]) }
        #expect(e.waitForLog("mt1", "memtouch: waiting", timeout: 120), "\(e.name): \(e.cli(["logs", "mt1"]))")
        #expect(e.waitForLog("spin3", "spin: running"), "\(e.name): \(e.cli(["logs", "spin3"]))")
        let touched = Self.touched(e.cli(["logs", "mt1"]).output) ?? 0
        #expect(touched >= 50, "\(e.name): memtouch touched \(touched) MiB")

        let r = e.cli(["stats", "--no-stream", "--format", "{{.Name}}|{{.MemUsage}}|{{.CPUPerc}}", "mt1", "spin3"],
                      timeout: 120)
        #expect(r.status == 0, "\(e.name): \(r)")
        var rows: [String: (usage: Double, limit: Double, cpu: Double)] = [:]
        for line in r.output.split(separator: "\n") {
            let f = line.split(separator: "|")
            guard f.count == 3 else { continue }
            let mem = f[1].components(separatedBy: "/")
            guard mem.count == 2, let usage = Self.bytes(Substring(mem[0])), let limit = Self.bytes(Substring(mem[1])),
                  let cpu = Double(f[2].trimmingCharacters(in: .whitespaces).dropLast()) else { continue }
            rows[f[0].trimmingCharacters(in: .whitespaces)] = (usage, limit, cpu)
        }
        let limit = Double(64 * Self.mebibyte)
        if let mt = rows["mt1"] {
            #expect(abs(mt.limit - limit) < limit / 100, "\(e.name): \(r.output)")
            #expect(mt.usage >= Double(touched * Self.mebibyte) && mt.usage <= limit, "\(e.name): \(r.output)")
        } else {
            Issue.record("\(e.name): no stats row for mt1: \(r)")
        }
        if let spin = rows["spin3"] {
            #expect(spin.usage > 0 && spin.usage <= limit, "\(e.name): \(r.output)")
            // One vCPU: busy, and not more than the monitor's threads can use.
            #expect(spin.cpu > 0 && spin.cpu <= 100 * Double(ProcessInfo.processInfo.activeProcessorCount),
                    "\(e.name): \(r.output)")
        } else {
            Issue.record("\(e.name): no stats row for spin3: \(r)")
        }
    }

    /// How many wake-ups the yield guest has logged so far.
    func wakeUps(_ e: ContainerEngine, _ container: String) -> Int {
        let r = e.cli(["logs", container])
        return (r.output + r.errorOutput).components(separatedBy: "yield: woke").count - 1
    }

    /// `top` lists the monitor alone; `pause` stops the guest (its
    /// console falls silent), `unpause` lets it go on.
    func topAndPause(_ e: ContainerEngine) {
        #expect(e.cli(["run", "-d", "--name", "yield1"] + e.ukvmRuntime + [Images.yield]).status == 0)
        defer { e.cli(["rm", "-f", "yield1"]) }
        #expect(e.waitForLog("yield1", "yield: woke"), "\(e.name): \(e.cli(["logs", "yield1"]))")

        let top = e.cli(["top", "yield1"])
        let processes = top.output.split(separator: "\n").dropFirst()
        #expect(top.status == 0 && processes.count == 1, "\(e.name): \(top)")

        let paused = e.cli(["pause", "yield1"])
        #expect(paused.status == 0, "\(e.name): \(paused)")
        let state = e.cli(["inspect", "-f", "{{.State.Status}}", "yield1"]).output
        #expect(state.hasPrefix("paused"), "\(e.name): \(state)")
        usleep(500_000)  // lines already on their way to the log land
        let before = wakeUps(e, "yield1")
        usleep(1_500_000)  // 15 wake-ups' worth, were it running
        let during = wakeUps(e, "yield1")
        #expect(during == before, "\(e.name): the paused guest logged \(during - before) wake-ups")

        let unpaused = e.cli(["unpause", "yield1"])
        #expect(unpaused.status == 0, "\(e.name): \(unpaused)")
        var after = during
        for _ in 0..<400 where after <= during {
            usleep(50_000)
            after = wakeUps(e, "yield1")
        }
        #expect(after > during, "\(e.name): the guest did not go on after unpause")
        #expect(e.cli(["inspect", "-f", "{{.State.Status}}", "yield1"]).output.hasPrefix("running"))
    }
}
