// BusyboxImage.swift: the Linux image the engine tests run under runc
// beside the unikernels (a second container that pings one, a pod's
// sandbox): FROM scratch, Debian's static busybox at /bin/busybox and
// nothing else, as a Docker archive (manifest.json, config, one layer)
// that `docker load`, `podman load` and `ctr image import` all take.

import Foundation

/// Why the busybox image cannot be built here, or nil.
public let busyboxUnavailable: String? = {
    if !FileManager.default.isExecutableFile(atPath: "/bin/busybox")
        || sh("readelf -l /bin/busybox | grep -q INTERP").status == 0 {
        return "SKIPPED: Debian's static busybox (/bin/busybox) is missing (scripts/setup installs busybox-static)"
    }
    return nil
}()

/// Writes the archive at `path`, tagged `reference`, whose entrypoint is
/// `entrypoint` (e.g. ["/bin/busybox"]) and command `cmd`.
public func writeBusyboxImage(_ path: String, reference: String, entrypoint: [String] = ["/bin/busybox"],
                              cmd: [String] = []) throws {
    let dir = try makeTempDirectory("ukvmtest-busybox")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let build = sh("""
        set -e; cd \(dir); mkdir -p rootfs/bin image; cp /bin/busybox rootfs/bin/busybox
        ln -s busybox rootfs/bin/sh
        tar -C rootfs --owner=0 --group=0 --numeric-owner --mtime=@0 --sort=name -cf layer.tar .
        sha256sum layer.tar | cut -d' ' -f1
        """)
    guard build.status == 0 else { throw SetupError("busybox layer: \(build)") }
    let layer = build.output.trimmingCharacters(in: .whitespacesAndNewlines)
    let config: [String: Any] = [
        "architecture": "amd64", "os": "linux",
        "config": ["Entrypoint": entrypoint, "Cmd": cmd, "WorkingDir": "/"],
        "rootfs": ["type": "layers", "diff_ids": ["sha256:" + layer]],
        "history": [["created_by": "ukvm tests: static busybox"]],
    ]
    let configData = try JSONSerialization.data(withJSONObject: config, options: [.sortedKeys])
    try configData.write(to: URL(fileURLWithPath: dir + "/image/config.json"))
    let manifest: [[String: Any]] = [["Config": "config.json", "RepoTags": [reference], "Layers": ["layer.tar"]]]
    try JSONSerialization.data(withJSONObject: manifest).write(to: URL(fileURLWithPath: dir + "/image/manifest.json"))
    let pack = sh("cd \(dir) && mv layer.tar image/ && tar -C image -cf '\(path)' manifest.json config.json layer.tar")
    guard pack.status == 0 else { throw SetupError("busybox image: \(pack)") }
}
