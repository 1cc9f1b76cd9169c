// HardwareKVMTests.swift: our unikernels on KVM with hardware
// virtualization (AMD SVM), through the rig scripts/hwkvm: Debian's kernel
// under QEMU's emulator, whose SVM gives it kvm_amd and a hardware-style
// /dev/kvm; the cases of scripts/hwkvm-cases inside (ukvm, net over taps
// inside that guest, virtio through QEMU on the nested KVM), under three
// CPU models: `max` (nested paging, FSGSBASE), `qemu64,+npt` (nested
// paging, no FSGSBASE: the TLS base goes through SET_FS_BASE) and `qemu64`
// (shadow paging, no FSGSBASE), virtio under all three.
// And the same ukvm list on this machine's own KVM (kvm-pvm on the
// project's machines).

import Foundation
import Testing
import TestSupport

/// The rig's output, split by CPU model.
struct RigRun {
    /// The case lines (`ok ...`, `not ok ...`, `#   ...`) and the rig's
    /// own lines, per CPU model, in order.
    var lines: [String: [String]] = [:]

    init(_ output: String) {
        var cpu = ""
        for line in output.split(separator: "\n").map(String.init) {
            if line.hasPrefix("hwkvm: cpu="), let end = line.dropFirst(11).firstIndex(of: ":") {
                cpu = String(line[line.index(line.startIndex, offsetBy: 11)..<end])
            }
            lines[cpu, default: []].append(line)
        }
    }

    /// The names of the cases that ended ok.
    func passed(_ cpu: String) -> [String] {
        (lines[cpu] ?? []).filter { $0.hasPrefix("ok ") }.compactMap { $0.split(separator: " ").dropFirst().first }
            .map(String.init)
    }

    /// What went wrong: the not-ok lines with the case's last output, and
    /// the rig's reports of a guest that did not finish. With `known`, the
    /// failures scripts/hwkvm-cases knows to be open (`# TODO known:`)
    /// instead.
    func failures(_ cpu: String, known: Bool = false) -> [String] {
        var result: [String] = []
        var taking = false
        for line in lines[cpu] ?? [] {
            if line.hasPrefix("#   ") {
                if taking { result.append(line) }
                continue
            }
            taking = line.hasPrefix("not ok ") && line.contains("# TODO known:") == known
            if taking || (!known && line.contains("not finished")) { result.append(line) }
        }
        return result
    }

    /// The INFO field `key=` of case `name`'s ok line.
    func info(_ cpu: String, _ name: String, _ key: String) -> String? {
        guard let line = (lines[cpu] ?? []).first(where: { $0.hasPrefix("ok \(name) ") }) else { return nil }
        return line.split(separator: " ").first { $0.hasPrefix(key + "=") }.map { String($0.dropFirst(key.count + 1)) }
    }
}

@Suite("hardware KVM: the rig (scripts/hwkvm)", .serialized)
struct HardwareKVMTests {
    /// scripts/hwkvm's default guests; each runs every section but figures
    /// (which `max` alone runs).
    static let models = ["max", "qemu64,+npt", "qemu64"]
    static let hwkvm = repoPath("scripts/hwkvm")

    /// The ukvm section on this machine's KVM, then the rig under both CPU
    /// models: every case ok, the same ukvm cases in all three, and blk's
    /// disk the same bytes everywhere.
    @Test func everyCaseOnEveryCPUModel() throws {
        if let reason = kvmUnavailable ?? qemuUnavailable { return announceSkip(reason) }
        _ = monitorPath  // builds the monitor and the images (make all) if stale
        let here = run([Self.hwkvm, "--here", "--sections", "ukvm"], timeout: 600)
        let local = RigRun(here.output)
        let localFailures = local.failures("").joined(separator: "\n")
        #expect(here.status == 0, "on this machine's KVM (\(KVMKind.current.rawValue)): \(localFailures)")

        let r = run([Self.hwkvm], timeout: 1200)
        if r.status == 3 {
            return announceSkip("SKIPPED: the rig cannot be had here: \(r.errorOutput)")
        }
        let rig = RigRun(r.output)
        #expect(r.status == 0, "\(r.errorOutput)")
        print(r.output.split(separator: "\n").filter { $0.hasPrefix("hwkvm: ") }.joined(separator: "\n"))
        for cpu in Self.models {
            let passed = rig.passed(cpu)
            let failures = rig.failures(cpu).joined(separator: "\n")
            #expect(failures.isEmpty, "cpu=\(cpu):\n\(failures)")
            let known = rig.failures(cpu, known: true)
            if !known.isEmpty {
                print("*** cpu=\(cpu): known open failures (scripts/hwkvm-cases, known_failure):\n"
                      + known.joined(separator: "\n"))
            }
            #expect((rig.lines[cpu] ?? []).contains { $0.hasPrefix("cases: ") && $0.contains(", 0 not ok,") },
                    "cpu=\(cpu): the list did not end: \((rig.lines[cpu] ?? []).suffix(5))")
            // Every ukvm case of this machine's run ran there too, and more.
            let missing = local.passed("").filter { !passed.contains($0) }
            #expect(missing.isEmpty, "cpu=\(cpu): not ok or not run: \(missing)")
            let virtioCases = ["virtio-accel", "virtio-hello", "virtio-blk", "virtio-blk-disk", "virtio-net",
                               "virtio-net2"]
            for name in ["net", "net2"] + virtioCases {
                #expect(passed.contains(name), "cpu=\(cpu): \(name) did not pass")
            }
            #expect(rig.info(cpu, "blk-disks", "sha256") == local.info("", "blk-disks", "sha256"),
                    "cpu=\(cpu): blk left other bytes than on this machine's KVM")
            #expect(rig.info(cpu, "wx-cpl0-text", "kvm") == "hardware", "cpu=\(cpu)")
        }
        // qemu64 has no FSGSBASE: tls passing there went through SET_FS_BASE.
        for cpu in ["qemu64,+npt", "qemu64"] {
            let atInit = (rig.lines[cpu] ?? []).first { $0.contains(": at init after") } ?? ""
            #expect(atInit.contains("svm") && !atInit.contains("fsgsbase"), "\(atInit)")
        }
    }
}
