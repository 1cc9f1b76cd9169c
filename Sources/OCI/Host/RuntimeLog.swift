// RuntimeLog.swift: where runtime messages go. With --log they are appended
// to that file, one per line, as JSON ({"level","msg","time"}: what the
// containerd shim reads back to explain a failure) or as logfmt text
// (--log-format text, runc's default); errors also go to stderr.

import Glibc
import JSON
import Monitor

struct RuntimeLog {
    enum Format: String {
        case text
        case json
    }

    var path: String?
    var format = Format.text
    var debug = false

    func error(_ message: String) {
        emit("error", message)
        var line = "ukvm-oci: " + message + "\n"
        line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
    }

    func warning(_ message: String) { emit("warning", message) }

    func debug(_ message: String) {
        if debug { emit("debug", message) }
    }

    /// The line for one message in `format`.
    static func line(level: String, message: String, time: String, format: Format) -> String {
        switch format {
        case .json:
            return JSON.object([("level", .string(level)), ("msg", .string(message)),
                                ("time", .string(time))]).serialized + "\n"
        case .text:
            return "time=\"\(time)\" level=\(level) msg=" + JSON.string(message).serialized + "\n"
        }
    }

    private func emit(_ level: String, _ message: String) {
        guard let path else { return }
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var text = RuntimeLog.line(level: level, message: message, time: Clock.rfc3339Now(), format: format)
        text.withUTF8 { _ = write(fd, $0.baseAddress, $0.count) }
    }
}
