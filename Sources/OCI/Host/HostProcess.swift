// HostProcess.swift: a process's identity and life, from /proc: its start
// time (which tells a reused PID from the one we started), whether it is
// still alive (a zombie is not), and waiting for it to go.

import Glibc

enum HostProcess {
    /// (state letter, start time) of PID from /proc/PID/stat, or nil.
    static func stat(pid: Int32) -> (state: UInt8, startTime: UInt64)? {
        guard let bytes = try? Files.read("/proc/\(pid)/stat", limit: 8192) else { return nil }
        return parseStat(bytes)
    }

    /// Fields after the command name, which may itself hold ") ": the
    /// state is field 3, the start time field 22.
    static func parseStat(_ bytes: [UInt8]) -> (state: UInt8, startTime: UInt64)? {
        guard let close = bytes.lastIndex(of: UInt8(ascii: ")")) else { return nil }
        let fields = bytes[(close + 1)...].split(separator: UInt8(ascii: " "))
        guard fields.count >= 20, let state = fields[0].first,
              let start = UInt64(String(decoding: fields[19], as: UTF8.self)) else { return nil }
        return (state, start)
    }

    static func startTime(pid: Int32) -> UInt64? { stat(pid: pid)?.startTime }

    /// Whether PID is our process and has not exited.
    static func isAlive(pid: Int32, startTime: UInt64) -> Bool {
        guard let s = stat(pid: pid) else { return false }
        return s.startTime == startTime && s.state != UInt8(ascii: "Z") && s.state != UInt8(ascii: "X")
    }

    /// Waits up to `timeout` seconds for the process to exit.
    static func waitForExit(pid: Int32, startTime: UInt64, timeout: Double) -> Bool {
        var waited = 0.0
        while isAlive(pid: pid, startTime: startTime) {
            if waited >= timeout { return false }
            usleep(2_000)
            waited += 0.002
        }
        return true
    }
}
