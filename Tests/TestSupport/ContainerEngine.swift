// ContainerEngine.swift: what the engine tests need of Docker and podman,
// whose command lines agree on everything the tests use (run, load, logs,
// inspect, stop, rm, exec). Each engine runs with state of the test's own
// inside a network namespace the test made (Dockerd.swift, Podman.swift).

import Foundation

public protocol ContainerEngine: AnyObject {
    /// "docker" or "podman", for messages.
    var name: String { get }
    /// The namespace the engine (and its default network) lives in.
    var netns: NetNamespace { get }
    /// The engine's command line.
    func cli(_ args: [String], timeout: Double) -> ProcessResult
    /// The argv of the engine's command line (for script(1) and the bench).
    func command(_ args: [String]) -> [String]
    /// `run` flags that make ukvm-oci the container's runtime.
    var ukvmRuntime: [String] { get }
    /// `run` flags that make runc the container's runtime.
    var runcRuntime: [String] { get }
}

extension ContainerEngine {
    @discardableResult
    public func cli(_ args: [String]) -> ProcessResult { cli(args, timeout: 60) }

    /// Loads an image archive.
    public func load(_ archive: String) throws {
        let r = cli(["load", "-i", archive], timeout: 120)
        guard r.status == 0 else { throw SetupError("\(name) load: \(r)") }
    }

    /// The container's address on the engine's default network.
    public func address(_ container: String) -> String {
        cli(["inspect", "-f", "{{.NetworkSettings.IPAddress}}", container]).output
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The container's exit code, as the engine recorded it.
    public func exitCode(_ container: String) -> Int? {
        Int(cli(["inspect", "-f", "{{.State.ExitCode}}", container]).output
            .trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Waits until the container's log holds `text`.
    public func waitForLog(_ container: String, _ text: String, timeout: Double = 20) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let r = cli(["logs", container])
            if (r.output + r.errorOutput).contains(text) { return true }
            usleep(50_000)
        }
        return false
    }
}

/// Removes every mount below `dir` (overlay layers, the engines' nsfs
/// bind mounts), deepest first.
public func unmountEverything(below dir: String) {
    sh("grep -F ' \(dir)/' /proc/self/mounts | cut -d' ' -f2 | sort -r | xargs -r -n1 umount -l")
}

/// Removes the cgroup `path` (relative, e.g. "ukvmtest-docker-123") from
/// every v1 hierarchy and the v2 tree, children first; only empty ones go.
public func removeCgroups(_ path: String) {
    sh("for h in /sys/fs/cgroup/*/\(path) /sys/fs/cgroup/\(path); do [ -d \"$h\" ] && "
        + "find \"$h\" -depth -type d -exec rmdir {} \\; 2>/dev/null; done; true")
}

/// Kills the processes whose command line contains `text` (shims,
/// conmon) and waits for them to go.
public func killProcesses(matching text: String) {
    let pids = run(["/usr/bin/pgrep", "-f", "--", text]).output.split(separator: "\n").compactMap { Int32($0) }
        .filter { $0 != getpid() }
    for pid in pids { kill(pid, SIGKILL) }
}

/// argv run with no signal blocked and every inherited descriptor above
/// stderr closed. Daemons and the engines' helpers pass both on to the
/// containers: a test thread's blocked SIGALRM reaches busybox's ping under
/// runc (which then sends one request and waits forever), and Foundation's
/// Process learns that a child ended when a socket the child inherited is
/// closed by everyone holding it, which conmon (podman's, outliving the
/// podman command) never does. Not for Background daemons: Foundation
/// takes that socket's end for the daemon's and blocks waiting for it.
public func cleanlyStarted(_ argv: [String]) -> [String] {
    ["/usr/bin/env", "python3", "-c",
     "import os, signal, sys; signal.pthread_sigmask(signal.SIG_SETMASK, set()); os.closerange(3, 65536); "
        + "os.execv(sys.argv[1], sys.argv[1:])"] + argv
}
