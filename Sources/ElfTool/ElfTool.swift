// ElfTool.swift: solo5-elftool, upstream's tool for inspecting Solo5 images
// and generating their manifest note, built on the monitor's own image
// parser (one parser for both). Its outputs are upstream's, byte for byte:
// query-abi and query-manifest print the JSON that tools read.
//
//   solo5-elftool query-abi BINARY
//   solo5-elftool query-manifest BINARY
//   solo5-elftool gen-manifest SOURCE OUTPUT    (either may be "-")
//
// gen-manifest writes upstream's C form; with OUTPUT ending in ".S" it
// writes the assembler form our own build uses instead. Exit status 0, or 1
// with one line on stderr.

import CKVM
import Glibc
import Image
import JSON
import Support

public enum ElfTool {
    static let name = "solo5-elftool"

    /// Runs the tool with `arguments` (argv, program name first) and returns
    /// its exit status.
    public static func run(arguments: [String]) -> Int32 {
        let args = Array(arguments.dropFirst())
        do {
            switch (args.first, args.count) {
            case ("query-abi", 2): Output.write(1, try queryABI(args[1]))
            case ("query-manifest", 2): Output.write(1, try queryManifest(args[1]))
            case ("gen-manifest", 3): try genManifest(source: args[1], output: args[2])
            default:
                Output.write(2, usage)
                return 1
            }
            return 0
        } catch {
            Output.write(2, "\(name): \(error)\n")
            return 1
        }
    }

    static let usage = """
        usage: \(name) COMMAND ...
        \(name) (ukvm \(Version.ukvm)), for Solo5 \(Version.upstream) images

        COMMAND is:
            gen-manifest SOURCE OUTPUT:
                Generate application manifest from SOURCE, writing to OUTPUT.
                (OUTPUT ending in .S: the assembler form of ukvm's own build.)
            query-abi BINARY:
                Display the ABI target and version from BINARY.
            query-manifest BINARY:
                Display the application manifest from BINARY.

        """

    /// `{"type": "solo5.abi", "target": ..., "version": ...}`, upstream's layout.
    static func queryABI(_ path: String) throws(ElfToolError) -> String {
        guard let abi = try notes(path, .abi).abi else { throw .noABINote(path) }
        let target = solo5_abi_target_name(abi.target).map { String(cString: $0) } ?? "unknown"
        return "{\n  \"type\": \"solo5.abi\",\n  \"target\": \(JSON.string(target).serialized),\n"
            + "  \"version\": \(abi.version)\n}\n"
    }

    /// The manifest as upstream prints it: one device a line, the reserved
    /// entry left out.
    static func queryManifest(_ path: String) throws(ElfToolError) -> String {
        guard let manifest = try notes(path, .manifest).manifest else { throw .noManifest(path) }
        let devices = manifest.entries.dropFirst().map {
            "    { \"name\": \(JSON.string($0.name).serialized), \"type\": \"\(ManifestSource.typeName($0.type))\" }"
        }
        return "{\n  \"type\": \"solo5.manifest\",\n  \"version\": \(Manifest.version),\n  \"devices\": [\n"
            + devices.map { $0 + ",\n" }.joined().dropLast(devices.isEmpty ? 0 : 2) + (devices.isEmpty ? "" : "\n")
            + "  ]\n}\n"
    }

    static func genManifest(source: String, output: String) throws(ElfToolError) {
        let bytes = try read(source)
        let manifest: ManifestSource
        do {
            manifest = try ManifestSource.parse(bytes)
        } catch {
            throw .badManifest(source, error)
        }
        let generator = "\(name) (ukvm \(Version.ukvm))"
        let text = output.hasSuffix(".S") ? manifest.assemblerSource(generator: generator)
                                          : manifest.cSource(generator: generator)
        try write(text, to: output)
    }

    private static func notes(_ path: String, _ kind: Notes.Kind) throws(ElfToolError) -> Notes.Found {
        let bytes: [UInt8]
        do {
            bytes = try ELF.readFile(Argument(path))
        } catch {
            throw .unreadable(error.description)
        }
        do {
            return try ELF.notes(of: bytes, wanted: [kind])
        } catch {
            throw .invalidImage(path, error)
        }
    }

    /// All of `path`, or of stdin for "-".
    private static func read(_ path: String) throws(ElfToolError) -> [UInt8] {
        let fd = path == "-" ? 0 : open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .io(path, "cannot open for reading", errno) }
        defer { if fd != 0 { close(fd) } }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw .io(path, "read", errno) }
            if n == 0 { return bytes }
            guard bytes.count + n <= maxSourceSize else { throw .io(path, "larger than 1 MiB", 0) }
            bytes += chunk.prefix(n)
        }
    }

    /// A manifest.json larger than this is not one.
    static let maxSourceSize = 1 << 20

    /// `text` into `path` (created or truncated), or to stdout for "-".
    private static func write(_ text: String, to path: String) throws(ElfToolError) {
        let fd = path == "-" ? 1 : open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .io(path, "cannot open for writing", errno) }
        defer { if fd != 1 { close(fd) } }
        var text = text
        let e = text.withUTF8 { Output.writeAll(fd, UnsafeRawBufferPointer($0)) }
        guard e == 0 else { throw .io(path, "write", e) }
    }
}

/// Why solo5-elftool failed; printed after "solo5-elftool: ".
enum ElfToolError: Error, CustomStringConvertible {
    case unreadable(String)
    case invalidImage(String, ImageProblem)
    case noABINote(String)
    case noManifest(String)
    case badManifest(String, ManifestSourceError)
    case io(String, String, Int32)

    var description: String {
        switch self {
        case .unreadable(let reason): return reason
        case .invalidImage(let path, .invalid(let reason)): return "\(path): invalid executable: \(reason)"
        case .invalidImage(let path, let problem): return "\(path): invalid executable: \(problem)"
        case .noABINote(let path): return "\(path): No Solo5 ABI information found in executable"
        case .noManifest(let path): return "\(path): No Solo5 manifest found in executable"
        case .badManifest(let path, let error): return "\(path): \(error)"
        case .io(let path, let what, let e): return "\(path): \(what)" + (e == 0 ? "" : ": \(errnoText(e))")
        }
    }
}
