// ImageArchive.swift: an OCI image (image-spec v1) holding one unikernel,
// as an image-layout archive: oci-layout, index.json and blobs/sha256/
// (config, manifest, one uncompressed layer), plus Docker's manifest.json
// and repositories over the same blobs (DockerManifest.swift), so that
// `docker load`, `podman load` and `ctr image import` all take it. No base image: the layer holds the unikernel at /
// and its disks at /solo5/block/NAME (Spec/Conventions.swift), nothing else.

import Glibc
import Image
import JSON
import Monitor
import Support

struct ImageArchive {
    struct Disk {
        let name: String
        let path: String
    }

    var unikernel: String
    var args: [String]
    var disks: [Disk]
    /// The image's reference, e.g. "localhost/ukvm/hello:latest".
    var name: String

    static let layerType = "application/vnd.oci.image.layer.v1.tar"
    static let configType = "application/vnd.oci.image.config.v1+json"
    static let manifestType = "application/vnd.oci.image.manifest.v1+json"

    /// The default reference for a unikernel file: localhost/ukvm/BASE:latest.
    static func defaultName(for path: String) -> String {
        var base = String(path.split(separator: "/").last ?? "unikernel")
        if let dot = base.lastIndex(of: "."), dot != base.startIndex { base = String(base[..<dot]) }
        let clean = String(base.lowercased().map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." ? $0 : "-" })
        return "localhost/ukvm/\(clean):latest"
    }

    /// The file name the unikernel gets at the root of the image.
    var entryName: String {
        String(unikernel.split(separator: "/").last ?? "unikernel.ukvm")
    }

    /// Checks the unikernel and its disks, then writes the archive to `output`.
    func write(to output: String) throws(OCIError) {
        let image: Solo5Image
        do throws(Solo5ImageError) {
            image = try Solo5Image.inspect(path: unikernel, memoryBytes: GuestMemorySize.max)
        } catch {
            throw OCIError(error.message)
        }
        for d in disks {
            guard image.devices.contains(where: { $0.name == d.name && $0.kind == .block }) else {
                throw OCIError("--disk \(d.name)=\(d.path): \(unikernel) declares no block device '\(d.name)'")
            }
        }
        // Beside the output, unpredictable and exclusive: a link planted in
        // a shared directory is never written through (as state files).
        let layerPath = output + ".layer.tmp-" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
        defer { unlink(layerPath) }
        let (layerDigest, layerSize) = try writeLayer(layerPath)
        let config = configJSON(layerDigest: layerDigest)
        let configBytes = Array(config.serialized.utf8)
        let manifestBytes = Array(manifestJSON(config: (SHA256.digest(configBytes), configBytes.count),
                                               layer: (layerDigest, layerSize)).serialized.utf8)
        let index = JSON.object([
            ("schemaVersion", .int(2)),
            ("mediaType", .string("application/vnd.oci.image.index.v1+json")),
            ("manifests", .array([.object([
                ("mediaType", .string(ImageArchive.manifestType)),
                ("digest", .string(SHA256.digest(manifestBytes))), ("size", .int(manifestBytes.count)),
                ("annotations", .object([("io.containerd.image.name", .string(name)),
                                         ("org.opencontainers.image.ref.name", .string(name))])),
            ])])),
        ])
        let fd = open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .system(output, errno: errno) }
        defer { close(fd) }
        var tar = TarWriter(fd: fd, what: output)
        try tar.file("oci-layout", Array(#"{"imageLayoutVersion":"1.0.0"}"#.utf8))
        try tar.file("index.json", Array(index.serialized.utf8))
        try tar.directory("blobs")
        try tar.directory("blobs/sha256")
        try tar.file(blob(SHA256.digest(configBytes)), configBytes)
        try tar.file(blob(SHA256.digest(manifestBytes)), manifestBytes)
        let layer = open(layerPath, O_RDONLY | O_CLOEXEC)
        guard layer >= 0 else { throw .system(layerPath, errno: errno) }
        defer { close(layer) }
        try tar.file(blob(layerDigest), from: layer, size: layerSize)
        let layerHex = String(layerDigest.dropFirst("sha256:".count))
        let dockerManifest = DockerManifest.manifest(config: blob(SHA256.digest(configBytes)),
                                                     layers: [blob(layerDigest)], tag: name)
        try tar.file("manifest.json", Array(dockerManifest.serialized.utf8))
        try tar.file("repositories", Array(DockerManifest.repositories(tag: name, topLayerHex: layerHex).serialized.utf8))
        try tar.finish()
    }

    private func blob(_ digest: String) -> String {
        "blobs/sha256/" + digest.dropFirst("sha256:".count)
    }

    /// The layer tar: the unikernel and the disks; its digest and size.
    private func writeLayer(_ path: String) throws(OCIError) -> (String, UInt64) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .system(path, errno: errno) }
        defer { close(fd) }
        var tar = TarWriter(fd: fd, what: path)
        try copy(unikernel, as: entryName, mode: 0o755, into: &tar)
        if !disks.isEmpty {
            try tar.directory("solo5")
            try tar.directory("solo5/block")
            for d in disks { try copy(d.path, as: "solo5/block/" + d.name, mode: 0o644, into: &tar) }
        }
        try tar.finish()
        var hasher = tar.hasher
        return ("sha256:" + SHA256.hex(hasher.finish()), tar.written)
    }

    private func copy(_ source: String, as name: String, mode: UInt32, into tar: inout TarWriter) throws(OCIError) {
        let fd = open(source, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .system(source, errno: errno) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw .system(source, errno: errno) }
        guard st.st_mode & S_IFMT == S_IFREG else { throw OCIError("\(source): not a regular file") }
        try tar.file(name, from: fd, size: UInt64(st.st_size), mode: mode)
    }

    private func configJSON(layerDigest: String) -> JSON {
        .object([
            ("architecture", .string("amd64")),
            ("os", .string("linux")),
            ("config", .object([
                ("Entrypoint", .array([.string("/" + entryName)])),
                ("Cmd", .array(args.map { .string($0) })),
                ("WorkingDir", .string("/")),
                ("Labels", .object([("org.solo5.target", .string("hvt")),
                                    ("org.solo5.runtime", .string("ukvm-oci"))])),
            ])),
            ("rootfs", .object([("type", .string("layers")), ("diff_ids", .array([.string(layerDigest)]))])),
            ("history", .array([.object([("created_by", .string("ukvm-oci image")),
                                         ("comment", .string("Solo5 hvt unikernel \(entryName)"))])])),
        ])
    }

    private func manifestJSON(config: (String, Int), layer: (String, UInt64)) -> JSON {
        .object([
            ("schemaVersion", .int(2)),
            ("mediaType", .string(ImageArchive.manifestType)),
            ("config", .object([("mediaType", .string(ImageArchive.configType)), ("digest", .string(config.0)),
                                ("size", .int(config.1))])),
            ("layers", .array([.object([("mediaType", .string(ImageArchive.layerType)),
                                        ("digest", .string(layer.0)), ("size", .int(layer.1))])])),
        ])
    }
}
