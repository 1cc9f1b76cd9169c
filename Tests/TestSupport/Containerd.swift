// Containerd.swift: a containerd of the test's own, with a temporary root,
// state directory and socket, stopped when the object goes, with every shim
// it started: nothing is left running and nothing touches the machine's
// containerd (if any). ctr drives it; ukvm-oci is its runc binary, with a
// runc root of the test's own too.

import Foundation

/// Why containerd tests cannot run here, or nil when they can.
public let containerdUnavailable: String? = {
    if getuid() != 0 { return "SKIPPED: containerd tests need root" }
    if kvmUnavailable != nil { return kvmUnavailable }
    if sh("command -v containerd && command -v ctr && command -v containerd-shim-runc-v2").status != 0 {
        return "SKIPPED: containerd, ctr or containerd-shim-runc-v2 is not installed (scripts/setup installs them)"
    }
    return nil
}()

public final class Containerd {
    public let dir: String
    public let socket: String
    /// ukvm-oci's --root (ctr --runc-root); the namespace's state is below it.
    public let runcRoot: String
    /// Unique per instance: containerd names a container's cgroup
    /// /NAMESPACE/ID, and the instance removes that parent when it goes
    /// (other tests, in this process or others, run their own).
    public let namespace: String
    private let daemon: Background

    public init() throws {
        namespace = "ukvmtest-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        dir = try makeTempDirectory("ukvmtest-containerd")
        socket = dir + "/containerd.sock"
        runcRoot = dir + "/runc"
        let config = """
            version = 2
            root = "\(dir)/root"
            state = "\(dir)/state"
            [grpc]
              address = "\(socket)"
            [ttrpc]
              address = "\(socket).ttrpc"
            [debug]
              address = "\(dir)/debug.sock"
            [plugins."io.containerd.grpc.v1.cri"]
              disable = true
            """
        try config.write(toFile: dir + "/config.toml", atomically: true, encoding: .utf8)
        daemon = try Background(["/usr/bin/env", "containerd", "--config", dir + "/config.toml"])
        for _ in 0..<500 {
            if ctr(["version"]).status == 0 { return }
            usleep(20_000)
        }
        throw SetupError("containerd did not come up:\n\(daemon.output)")
    }

    /// ctr against this containerd, in the test namespace.
    @discardableResult
    public func ctr(_ args: [String], timeout: Double = 60) -> ProcessResult {
        run(ctrCommand(args), timeout: timeout)
    }

    public func ctrCommand(_ args: [String]) -> [String] {
        ["/usr/bin/env", "ctr", "--address", socket, "--namespace", namespace] + args
    }

    /// `ctr run` flags that make ukvm-oci the runtime.
    public var ukvmOCI: [String] {
        ["--runc-binary", binPath("ukvm-oci"), "--runc-root", runcRoot]
    }

    /// Imports an image archive.
    public func importImage(_ archive: String) throws {
        let r = ctr(["image", "import", archive])
        guard r.status == 0 else { throw SetupError("ctr image import: \(r)") }
    }

    /// ukvm-oci's container state directories left for the namespace.
    public var stateEntries: [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: runcRoot + "/" + namespace)) ?? []
    }

    /// PIDs of the shims serving this containerd. The bracket keeps the
    /// pattern from matching the shell that runs pgrep.
    public var shimPIDs: [Int32] {
        let r = sh("pgrep -f -- '[-]address \(socket)' || true")
        return r.output.split(separator: "\n").compactMap { Int32($0) }
    }

    deinit {
        // Containers first (their shims and mounts), then the daemon.
        for line in ctr(["task", "ls", "-q"]).output.split(separator: "\n") {
            ctr(["task", "kill", "-s", "SIGKILL", String(line)])
            ctr(["task", "delete", "-f", String(line)])
        }
        for line in ctr(["container", "ls", "-q"]).output.split(separator: "\n") {
            ctr(["container", "delete", String(line)])
        }
        let shims = shimPIDs
        daemon.stop()
        for pid in shims { kill(pid, SIGKILL) }
        sh("grep -F ' \(dir)/' /proc/self/mounts | cut -d' ' -f2 | sort -r | xargs -r -n1 umount -l")
        // The namespace's cgroup parent, in every hierarchy (v1 and v2).
        sh("for d in /sys/fs/cgroup/*/\(namespace) /sys/fs/cgroup/\(namespace); do [ -d \"$d\" ] && rmdir \"$d\"; done; true")
        try? FileManager.default.removeItem(atPath: dir)
    }
}

/// A new directory under the temporary directory.
public func makeTempDirectory(_ name: String) throws -> String {
    var template = Array("\(NSTemporaryDirectory())\(name)-XXXXXX".utf8CString)
    guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else {
        throw SetupError("mkdtemp: \(String(cString: strerror(errno)))")
    }
    return template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
}
