// UkvmOCITests.swift: ukvm-oci driven directly with runc's command line, as
// containerd's shim drives it: the life of a container (create waits
// without booting, start boots, state, kill, delete), the log the shim
// reads, and the refused commands.

import Foundation
import Testing
import TestSupport

@Suite("ukvm-oci command line", .serialized, .enabled(if: kvmUnavailable == nil, "needs /dev/kvm"))
struct UkvmOCITests {
    /// A bundle: config.json with `args` and a rootfs holding build/ukvm/NAME.ukvm.
    final class Bundle {
        let dir: String
        let root: String
        /// Each call's output has files of its own: a container process
        /// keeps writing to those of the create that made it.
        private var calls = 0
        var rootfs: String { dir + "/rootfs" }
        var log: String { dir + "/log.json" }

        init(_ image: String, args: [String], extra: String = "") throws {
            dir = try makeTempDirectory("ukvmtest-bundle")
            root = dir + "/state"
            try FileManager.default.createDirectory(atPath: rootfs, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: ukvmImage(image), toPath: rootfs + "/\(image).ukvm")
            let argv = args.map { "\"\($0)\"" }.joined(separator: ",")
            let config = #"{"ociVersion":"1.0.2","process":{"args":[\#(argv)]},"root":{"path":"rootfs"}\#(extra)}"#
            try config.write(toFile: dir + "/config.json", atomically: true, encoding: .utf8)
        }

        /// ukvm-oci with the shim's global flags. Its output goes through
        /// files, as the shim's does: the container process that create
        /// leaves behind keeps them open, and would keep a pipe from ending.
        func oci(_ args: [String], timeout: Double = 30) -> ProcessResult {
            let argv = [binPath("ukvm-oci"), "--root", root, "--log", log, "--log-format", "json"] + args
            let quoted = argv.map { "'" + $0 + "'" }.joined(separator: " ")
            calls += 1
            let (outPath, errPath) = (dir + "/out.\(calls)", dir + "/err.\(calls)")
            let r = sh("exec \(quoted) >\(outPath) 2>\(errPath)", timeout: timeout)
            let out = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
            let err = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
            return ProcessResult(status: r.status, output: out, errorOutput: err, timedOut: r.timedOut)
        }

        func state(_ id: String) -> [String: Any]? {
            let r = oci(["state", id])
            return (try? JSONSerialization.jsonObject(with: Data(r.output.utf8))) as? [String: Any]
        }

        deinit {
            for id in (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [] {
                _ = oci(["delete", "--force", id])
            }
            try? FileManager.default.removeItem(atPath: dir)
        }
    }

    @Test func lifecycle() throws {
        let b = try Bundle("hello", args: ["/hello.ukvm", "x"])
        let create = b.oci(["create", "--bundle", b.dir, "--pid-file", b.dir + "/pid", "c1"])
        #expect(create.status == 0, "\(create)")
        #expect(create.output.isEmpty, "create booted the guest: \(create)")
        let pid = Int32(try String(contentsOfFile: b.dir + "/pid", encoding: .utf8)) ?? 0
        #expect(pid > 0 && kill(pid, 0) == 0)
        var s = b.state("c1")
        #expect(s?["status"] as? String == "created" && s?["pid"] as? Int == Int(pid), "\(String(describing: s))")
        #expect(s?["bundle"] as? String == b.dir && s?["ociVersion"] as? String == "1.0.2")
        #expect(b.oci(["ps", "--format", "json", "c1"]).output == "[\(pid)]\n")
        #expect(b.oci(["list", "-q"]).output == "c1\n")
        let again = b.oci(["create", "--bundle", b.dir, "c1"])
        #expect(again.status == 1 && again.errorOutput.contains("already exists"), "\(again)")
        #expect(b.oci(["start", "c1"]).status == 0)
        for _ in 0..<500 where kill(pid, 0) == 0 && b.state("c1")?["status"] as? String != "stopped" { usleep(10_000) }
        s = b.state("c1")
        #expect(s?["status"] as? String == "stopped", "\(String(describing: s))")
        #expect(b.oci(["ps", "--format", "json", "c1"]).output == "[]\n")
        let restart = b.oci(["start", "c1"])
        #expect(restart.status == 1 && restart.errorOutput.contains("stopped"), "\(restart)")
        #expect(b.oci(["kill", "c1", "TERM"]).errorOutput.contains("container not running"))
        #expect(b.oci(["delete", "c1"]).status == 0)
        #expect(!FileManager.default.fileExists(atPath: b.root + "/c1"))
        let gone = b.oci(["delete", "c1"])
        #expect(gone.status == 1 && gone.errorOutput.contains("does not exist"), "\(gone)")
        #expect(b.oci(["delete", "--force", "c1"]).status == 0)
    }

    /// `run` in the foreground: the guest's output and status are ukvm-oci's.
    @Test func runForeground() throws {
        let b = try Bundle("status", args: ["/status.ukvm", "7"])
        let r = b.oci(["run", "--bundle", b.dir, "r1"])
        #expect(r.status == 7, "\(r)")
        #expect(!FileManager.default.fileExists(atPath: b.root + "/r1"))
    }

    /// A created container is deleted without --force (its waiting process
    /// killed), a running one only with --force; kill reaches the monitor.
    @Test func killAndForceDelete() throws {
        let b = try Bundle("spin", args: ["/spin.ukvm", "1000000000000"])
        #expect(b.oci(["create", "--bundle", b.dir, "--pid-file", b.dir + "/pid", "k1"]).status == 0)
        let pid1 = Int32(try String(contentsOfFile: b.dir + "/pid", encoding: .utf8)) ?? 0
        #expect(b.oci(["delete", "k1"]).status == 0)
        #expect(kill(pid1, 0) != 0 || sh("grep -q '^State:.*Z' /proc/\(pid1)/status").status == 0)

        #expect(b.oci(["create", "--bundle", b.dir, "--pid-file", b.dir + "/pid", "k2"]).status == 0)
        #expect(b.oci(["start", "k2"]).status == 0)
        #expect(b.state("k2")?["status"] as? String == "running")
        let refused = b.oci(["delete", "k2"])
        #expect(refused.status == 1 && refused.errorOutput.contains("not stopped"), "\(refused)")
        #expect(b.oci(["kill", "--all", "k2", "SIGTERM"]).status == 0)
        for _ in 0..<300 where b.state("k2")?["status"] as? String != "stopped" { usleep(10_000) }
        #expect(b.state("k2")?["status"] as? String == "stopped")
        #expect(b.oci(["delete", "k2"]).status == 0)

        #expect(b.oci(["run", "-d", "--bundle", b.dir, "k3"]).status == 0)
        #expect(b.oci(["delete", "--force", "k3"]).status == 0)
        #expect(!FileManager.default.fileExists(atPath: b.root + "/k3"))
    }

    /// A create that fails after forking (here: the PID file cannot be
    /// written) leaves no container process waiting and no state.
    @Test func lateCreateFailureLeavesNothing() throws {
        let b = try Bundle("hello", args: ["/hello.ukvm"])
        let r = b.oci(["create", "--bundle", b.dir, "--pid-file", b.dir + "/missing/pid", "l1"])
        #expect(r.status == 1 && r.errorOutput.contains("missing/pid"), "\(r)")
        #expect(!FileManager.default.fileExists(atPath: b.root + "/l1"))
        #expect(sh("pgrep -f '[u]kvm-oci.*\(b.dir)'").status != 0, "a container process was left")
    }

    /// Errors go to --log as the JSON lines the shim reads, and to stderr.
    @Test func errorsAreLoggedAsJSON() throws {
        let b = try Bundle("hello", args: ["/missing.ukvm"])
        let r = b.oci(["create", "--bundle", b.dir, "e1"])
        #expect(r.status == 1)
        #expect(r.errorOutput.contains("/missing.ukvm: No such file or directory"), "\(r)")
        let lines = try String(contentsOfFile: b.log, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 1)
        let entry = try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: String]
        #expect(entry?["level"] == "error")
        #expect(entry?["msg"]?.contains("/missing.ukvm: No such file or directory") == true)
        #expect(entry?["time"]?.hasSuffix("Z") == true)
        #expect(!FileManager.default.fileExists(atPath: b.root + "/e1"))
    }

    @Test(arguments: ["exec", "checkpoint", "restore", "spec"])
    func refusedCommands(command: String) throws {
        let b = try Bundle("hello", args: ["/hello.ukvm"])
        let r = b.oci([command, "x"])
        #expect(r.status == 1)
        #expect(r.errorOutput.contains("\(command) is not supported by ukvm-oci: "), "\(r)")
    }

    @Test func featuresAndVersion() throws {
        let b = try Bundle("hello", args: ["/hello.ukvm"])
        let f = b.oci(["features"])
        let json = try JSONSerialization.jsonObject(with: Data(f.output.utf8)) as? [String: Any]
        #expect(json?["ociVersionMax"] as? String == "1.0.2", "\(f)")
        #expect(b.oci(["--version"]).output.contains("ukvm-oci version"))
        #expect(b.oci(["--help"]).output.contains("exec"))
        #expect(b.oci(["--systemd-cgroup", "--debug", "list"]).status == 0)
    }

    /// A pod's sandbox (a Linux program) goes to runc, and so does every
    /// later command for it.
    @Test(.enabled(if: sh("command -v runc && command -v gcc").status == 0, "needs runc and gcc"))
    func podSandboxGoesToRunc() throws {
        let b = try Bundle("hello", args: ["/pause"])
        let src = b.dir + "/pause.c"
        try "#include <unistd.h>\nint main(void){write(1,\"paused\\n\",7);pause();return 0;}\n"
            .write(toFile: src, atomically: true, encoding: .utf8)
        #expect(sh("gcc -static -O2 -o \(b.rootfs)/pause \(src)").status == 0)
        // runc's own default spec, with the sandbox annotation.
        #expect(sh("cd \(b.dir) && rm config.json && runc spec").status == 0)
        var spec = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: b.dir + "/config.json")))
            as! [String: Any]
        var process = spec["process"] as! [String: Any]
        process["args"] = ["/pause"]
        process["terminal"] = false
        spec["process"] = process
        spec["annotations"] = ["io.kubernetes.cri.container-type": "sandbox"]
        try JSONSerialization.data(withJSONObject: spec).write(to: URL(fileURLWithPath: b.dir + "/config.json"))
        let create = b.oci(["create", "--bundle", b.dir, "--pid-file", b.dir + "/pid", "pod1"])
        #expect(create.status == 0, "\(create)")
        #expect(FileManager.default.fileExists(atPath: b.root + "/pod1/state.json"), "not runc's")
        #expect(b.state("pod1")?["status"] as? String == "created")
        #expect(b.oci(["start", "pod1"]).status == 0)
        #expect(b.state("pod1")?["status"] as? String == "running")
        #expect(b.oci(["kill", "pod1", "KILL"]).status == 0)
        for _ in 0..<300 where b.state("pod1")?["status"] as? String != "stopped" { usleep(10_000) }
        #expect(b.oci(["delete", "pod1"]).status == 0)
        #expect(!FileManager.default.fileExists(atPath: b.root + "/pod1"))
    }

    /// The hostile rootfs: an image path that is a symlink out of the
    /// rootfs resolves inside it.
    @Test func symlinkOutOfTheRootfs() throws {
        let b = try Bundle("hello", args: ["/evil.ukvm"])
        try FileManager.default.createSymbolicLink(atPath: b.rootfs + "/evil.ukvm",
                                                   withDestinationPath: ukvmImage("hello"))
        let r = b.oci(["create", "--bundle", b.dir, "s1"])
        #expect(r.status == 1, "\(r)")
        #expect(r.errorOutput.contains("No such file or directory"), "\(r)")
    }
}
