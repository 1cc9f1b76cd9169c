// OCIHooksTests.swift: hooks as config.json gives them, and running them
// as runc does: argv, exactly the given environment, the state on stdin,
// exit status and output in the error, the timeout, and which points are
// fatal.

import Foundation
import Testing
import TestSupport
import JSON
@testable import OCI

@Suite struct OCIHooksTests {
    func hooks(_ text: String) throws -> Hooks {
        let spec = #"{"ociVersion":"1.0.2","process":{"args":["/u"]},"root":{"path":"r"},"hooks":\#(text)}"#
        return try RuntimeSpec.parse(Array(spec.utf8)).hooks
    }

    @Test func parsesEveryPoint() throws {
        let h = try hooks(#"""
            {"prestart":[{"path":"/a","args":["a","x"],"env":["K=V"],"timeout":5},{"path":"/b"}],
             "createRuntime":[{"path":"/c"}],"createContainer":[{"path":"/d"}],"startContainer":[{"path":"/e"}],
             "poststart":[{"path":"/f"}],"poststop":[{"path":"/g"}]}
            """#)
        #expect(h[.prestart] == [Hook(path: "/a", args: ["a", "x"], env: ["K=V"], timeout: 5), Hook(path: "/b")])
        #expect(h[.prestart][1].argv == ["/b"])
        #expect(h[.createRuntime].map(\.path) == ["/c"] && h[.createContainer].map(\.path) == ["/d"])
        #expect(h[.startContainer].map(\.path) == ["/e"] && h[.poststart].map(\.path) == ["/f"])
        #expect(h[.poststop].map(\.path) == ["/g"])
        #expect(h.runAtCreate)
        // What start and delete need survives the state file's round trip.
        let later = try Hooks.parse(FieldReader(json: try JSON.parse(h.later.json.serialized), path: "hooks"))
        #expect(later[.poststart] == h[.poststart] && later[.poststop] == h[.poststop] && !later.runAtCreate)
    }

    @Test func emptyHooksAreNoHooks() throws {
        #expect(try hooks(#"{"prestart":[],"poststop":null}"#).isEmpty)
        #expect(!(try hooks(#"{"poststart":[{"path":"/x"}]}"#).runAtCreate))
    }

    /// A hook sees its own argv, exactly its own environment, and the state.
    @Test func argvEnvironmentAndState() throws {
        let dir = TempDirectory(name: "hooks")
        let out = dir.path + "/out"
        let hook = Hook(path: "/bin/sh", args: ["sh", "-c", "echo \"$0 $1 [$HOOKVAR] [$HOME]\" >\(out); cat >>\(out)", "zero", "one"],
                        env: ["HOOKVAR=v"])
        try HookRunner.run(hook, input: Array(#"{"id":"c1","status":"creating"}"#.utf8))
        let text = try String(contentsOfFile: out, encoding: .utf8)
        #expect(text == "zero one [v] []\n{\"id\":\"c1\",\"status\":\"creating\"}", "\(text)")
    }

    @Test func failureCarriesStatusAndOutput() {
        let hook = Hook(path: "/bin/sh", args: ["sh", "-c", "echo out; echo err >&2; exit 3"])
        #expect(throws: OCIError("exit status 3: out; err")) { try HookRunner.run(hook, input: []) }
        #expect(throws: OCIError("killed by signal 9")) {
            try HookRunner.run(Hook(path: "/bin/sh", args: ["sh", "-c", "kill -9 $$"]), input: [])
        }
        do throws(OCIError) {
            try HookRunner.run(Hook(path: "/nonexistent/hook"), input: [])
            Issue.record("ran a missing program")
        } catch {
            #expect(error.message.contains("No such file or directory"), "\(error.message)")
        }
    }

    /// A hook that outlives its timeout is killed, and fails.
    @Test func timeout() {
        let hook = Hook(path: "/bin/sh", args: ["sh", "-c", "exec sleep 30"], timeout: 1)
        #expect(throws: OCIError("timed out after 1 s")) { try HookRunner.run(hook, input: []) }
    }

    /// A hook that never reads a large state cannot block the runtime.
    @Test func hookThatIgnoresStdin() throws {
        let big = [UInt8](repeating: UInt8(ascii: "x"), count: 1 << 20)
        try HookRunner.run(Hook(path: "/bin/true"), input: big)
    }

    /// Fatal points stop at the first failure; poststart and poststop log
    /// it and go on.
    @Test func fatalAndLoggedPoints() throws {
        let dir = TempDirectory(name: "hooks")
        let log = dir.path + "/log"
        var h = Hooks()
        let fail = Hook(path: "/bin/sh", args: ["sh", "-c", "echo no; exit 1"])
        let mark = Hook(path: "/bin/sh", args: ["sh", "-c", "echo ran >>\(dir.path)/ran"])
        h[.prestart] = [fail, mark]
        h[.poststop] = [fail, mark]
        var runtimeLog = RuntimeLog()
        runtimeLog.path = log
        #expect(throws: OCIError("prestart hook #0 (/bin/sh): exit status 1: no")) {
            try HookRunner.run(h, .prestart, state: .object([]), log: runtimeLog)
        }
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/ran"))
        try HookRunner.run(h, .poststop, state: .object([]), log: runtimeLog)
        #expect(FileManager.default.fileExists(atPath: dir.path + "/ran"))
        let logged = try String(contentsOfFile: log, encoding: .utf8)
        #expect(logged.contains("level=warning") && logged.contains("poststop hook #0 (/bin/sh): exit status 1: no"))
    }

    @Test func hostNetworkNamespace() {
        #expect(HostNetwork.isHost("/proc/self/ns/net"))
        // PID 1's, where it can be read (not in every container or sandbox).
        #expect(HostNetwork.isHost("/proc/1/ns/net") || HostNetwork.identity("/proc/1/ns/net") == nil)
        #expect(!HostNetwork.isHost("/nonexistent"))
        #expect(!HostNetwork.isHost("/proc/self/ns/mnt"))
    }
}
