// OCIError.swift: every way a runtime command fails, as one line. The
// message goes to the --log file (as the shim reads it) and to stderr, and
// the command exits 1, as runc does.

import Support

/// A runtime command's failure: its one-line message.
public struct OCIError: Error, CustomStringConvertible, Equatable, Sendable {
    public let message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }

    /// "WHAT: strerror(errno)".
    static func system(_ what: String, errno code: Int32) -> OCIError {
        OCIError("\(what): \(errnoText(code))")
    }

    static func noSuchContainer(_ id: String) -> OCIError {
        // The containerd shim recognises "does not exist".
        OCIError("container \"\(id)\" does not exist")
    }

    static func notRunning(_ id: String) -> OCIError {
        // The shim maps "container not running" to not-found on kill.
        OCIError("container not running")
    }
}
