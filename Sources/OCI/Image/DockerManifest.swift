// DockerManifest.swift: Docker's own archive index, written beside the OCI
// layout over the same blobs. Docker 20.10's `docker load` reads only
// `manifest.json` (the config and layer files by path, and the tags) and
// `repositories` (the legacy tag table); containerd and podman read the OCI
// layout (index.json). One archive then loads everywhere.

import JSON
import Monitor

enum DockerManifest {
    /// manifest.json: one image, its config and layer by path in the archive.
    static func manifest(config: String, layers: [String], tag: String) -> JSON {
        .array([.object([
            ("Config", .string(config)),
            ("RepoTags", .array([.string(tag)])),
            ("Layers", .array(layers.map { .string($0) })),
        ])])
    }

    /// repositories: {"REPO": {"TAG": TOP-LAYER-ID}}, the ID being the top
    /// layer's hex digest (what `docker save` writes).
    static func repositories(tag: String, topLayerHex: String) -> JSON {
        let (repo, version) = split(tag)
        return .object([(repo, .object([(version, .string(topLayerHex))]))])
    }

    /// "host/repo:tag" into the repository and the tag ("latest" if none);
    /// a ':' before the last '/' is a registry port, not a tag.
    static func split(_ reference: String) -> (String, String) {
        guard let colon = reference.lastIndex(of: ":"),
              reference[colon...].contains("/") == false else { return (reference, "latest") }
        return (String(reference[..<colon]), String(reference[reference.index(after: colon)...]))
    }
}
