// TempFile.swift: a temporary file for a test (a disk image, a garbage
// image), removed when the object goes.

import Foundation

public final class TempFile: @unchecked Sendable {
    public let path: String

    /// A file of `size` zero bytes; `name` ends its path, for messages.
    public init(size: Int, name: String = "disk") {
        var template = Array("\(NSTemporaryDirectory())ukvmtest-\(name)-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        precondition(fd >= 0, "mkstemp: \(String(cString: strerror(errno)))")
        precondition(ftruncate(fd, off_t(size)) == 0, "ftruncate: \(String(cString: strerror(errno)))")
        close(fd)
        path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    /// The file's bytes now.
    public func contents() throws -> Data {
        try Data(contentsOf: URL(fileURLWithPath: path))
    }

    deinit { unlink(path) }
}

/// A temporary directory for a test, removed with everything in it when the
/// object goes.
public final class TempDirectory: @unchecked Sendable {
    public let path: String

    public init(name: String = "dir") {
        var template = Array("\(NSTemporaryDirectory())ukvmtest-\(name)-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(made != nil, "mkdtemp: \(String(cString: strerror(errno)))")
        path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    /// The names of the files in it now, sorted.
    public func files() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
    }

    deinit { sh("rm -rf '\(path)'") }
}
