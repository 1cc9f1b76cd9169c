// Processes.swift: running the project's programs as child processes, the
// way a user would, under a timeout so that a hung guest fails its test
// instead of hanging the suite.

import Foundation

/// The outcome of a child process.
public struct ProcessResult: CustomStringConvertible, Sendable {
    /// The exit status, or the signal's number when `killedBy` is set.
    public let status: Int32
    public let output: String      // stdout
    public let errorOutput: String // stderr
    public let timedOut: Bool
    /// The signal that ended the process, if one did.
    public var killedBy: Int32? = nil

    public init(status: Int32, output: String, errorOutput: String, timedOut: Bool, killedBy: Int32? = nil) {
        self.status = status
        self.output = output
        self.errorOutput = errorOutput
        self.timedOut = timedOut
        self.killedBy = killedBy
    }

    public var description: String {
        let how = killedBy.map { "killed by signal \($0)" } ?? "status \(status)"
        return "\(how)\(timedOut ? " (timed out)" : "")\n--- stdout\n\(output)\n--- stderr\n\(errorOutput)"
    }
}

/// Runs argv[0] with the rest as arguments, killing it after `timeout` s.
public func run(_ argv: [String], timeout: Double = 60, environment: [String: String]? = nil) -> ProcessResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: argv[0])
    process.arguments = Array(argv.dropFirst())
    process.currentDirectoryURL = repoRoot
    if let environment {
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    }
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    do {
        try process.run()
    } catch {
        return ProcessResult(status: -1, output: "", errorOutput: "cannot run \(argv[0]): \(error)", timedOut: false)
    }
    // Drain both pipes concurrently so a chatty child cannot block on a full pipe.
    let group = DispatchGroup()
    nonisolated(unsafe) var outData = Data(), errData = Data()
    DispatchQueue.global().async(group: group) { outData = out.fileHandleForReading.readDataToEndOfFile() }
    DispatchQueue.global().async(group: group) { errData = err.fileHandleForReading.readDataToEndOfFile() }
    let deadline = Date().addingTimeInterval(timeout)
    var timedOut = false
    while process.isRunning {
        if Date() > deadline {
            timedOut = true
            process.terminate()
            usleep(200_000)
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            break
        }
        usleep(2_000)
    }
    process.waitUntilExit()
    group.wait()
    return ProcessResult(status: process.terminationStatus,
                         output: String(decoding: outData, as: UTF8.self),
                         errorOutput: String(decoding: errData, as: UTF8.self),
                         timedOut: timedOut, killedBy: terminatingSignal(of: process))
}

/// The signal that ended `process`, if one did.
func terminatingSignal(of process: Process) -> Int32? {
    process.terminationReason == .uncaughtSignal ? process.terminationStatus : nil
}

/// Runs a shell command line (for `ip netns` set-up and the like).
@discardableResult
public func sh(_ command: String, timeout: Double = 60) -> ProcessResult {
    run(["/bin/sh", "-c", command], timeout: timeout)
}

/// A child process running in the background (a guest serving the network),
/// killed on deinit if still running. Its output (stdout and stderr) is
/// collected as it comes, so a test can wait for a line.
public final class Background: @unchecked Sendable {
    public let process = Process()
    private let out = Pipe()
    private let lock = NSLock()
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    public init(_ argv: [String]) throws {
        process.executableURL = URL(fileURLWithPath: argv[0])
        process.arguments = Array(argv.dropFirst())
        process.currentDirectoryURL = repoRoot
        process.standardOutput = out
        process.standardError = out
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let handle = out.fileHandleForReading
        Thread.detachNewThread { [self] in
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                lock.withLock { data.append(chunk) }
            }
            done.signal()
        }
    }

    public var output: String { lock.withLock { String(decoding: data, as: UTF8.self) } }

    /// Waits up to `timeout` s until the output contains `text`.
    @discardableResult
    public func waitFor(_ text: String, timeout: Double = 20) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if output.contains(text) { return true }
            if !process.isRunning { return output.contains(text) }
            usleep(5_000)
        }
        return false
    }

    /// Waits up to `timeout` s for the process to exit by itself.
    public func wait(timeout: Double) -> ProcessResult {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(5_000) }
        let timedOut = process.isRunning
        if timedOut { stop() }
        process.waitUntilExit()
        done.wait()
        done.signal()
        return ProcessResult(status: process.terminationStatus, output: output,
                             errorOutput: "", timedOut: timedOut, killedBy: terminatingSignal(of: process))
    }

    /// Sends a signal and lets the process go in its own time.
    public func signal(_ signo: Int32) {
        if process.isRunning { kill(process.processIdentifier, signo) }
    }

    /// SIGTERM, then SIGKILL if it does not go.
    public func stop() {
        guard process.isRunning else { return }
        process.terminate()
        for _ in 0..<100 where process.isRunning { usleep(10_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    deinit { stop() }
}

/// argv run with no signal blocked. Foundation's Process starts children
/// with the signal mask of the thread that starts them, and test threads
/// may block SIGTERM; a program that does not unblock it itself (upstream's
/// tender) would then never see it.
public func withSignalsUnblocked(_ argv: [String]) -> [String] {
    ["/usr/bin/env", "python3", "-c",
     "import os, signal, sys; signal.pthread_sigmask(signal.SIG_SETMASK, set()); os.execv(sys.argv[1], sys.argv[1:])"]
        + argv
}
