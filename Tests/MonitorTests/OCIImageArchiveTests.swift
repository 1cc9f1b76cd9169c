// OCIImageArchiveTests.swift: the archive `ukvm-oci image` writes holds an
// OCI layout and Docker's manifest.json over the same blobs, consistent
// with each other (the engines' loaders are tested in the engine tests).

import Foundation
import Testing
import TestSupport
@testable import OCI

@Suite struct OCIImageArchiveTests {
    @Test func referenceSplitting() {
        #expect(DockerManifest.split("localhost/ukvm/hello:latest") == ("localhost/ukvm/hello", "latest"))
        #expect(DockerManifest.split("localhost:5000/ukvm/hello") == ("localhost:5000/ukvm/hello", "latest"))
        #expect(DockerManifest.split("localhost:5000/hello:v1") == ("localhost:5000/hello", "v1"))
    }

    @Test func dockerAndOCIIndexesAgree() throws {
        let dir = TempDirectory(name: "archive")
        let image = dir.path + "/hello.ukvm"
        let archive = dir.path + "/hello.tar"
        #expect(sh("cp \(ukvmImage("hello")) \(image)").status == 0)
        try ImageArchive(unikernel: image, args: ["a b"], disks: [], name: "localhost/ukvm/t:v1").write(to: archive)
        #expect(sh("cd \(dir.path) && mkdir x && tar -xf hello.tar -C x").status == 0)
        let x = dir.path + "/x/"
        func json(_ path: String) throws -> Any { try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: x + path))) }
        let manifest = try #require((try json("manifest.json") as? [[String: Any]])?.first)
        #expect(manifest["RepoTags"] as? [String] == ["localhost/ukvm/t:v1"])
        let index = try json("index.json") as? [String: Any]
        let ociManifestDigest = try #require(((index?["manifests"] as? [[String: Any]])?.first?["digest"] as? String))
        let oci = try json("blobs/sha256/" + ociManifestDigest.dropFirst(7)) as? [String: Any]
        let configDigest = try #require((oci?["config"] as? [String: Any])?["digest"] as? String)
        let layerDigest = try #require((oci?["layers"] as? [[String: Any]])?.first?["digest"] as? String)
        #expect(manifest["Config"] as? String == "blobs/sha256/" + configDigest.dropFirst(7))
        #expect(manifest["Layers"] as? [String] == ["blobs/sha256/" + layerDigest.dropFirst(7)])
        let repositories = try json("repositories") as? [String: [String: String]]
        #expect(repositories == ["localhost/ukvm/t": ["v1": String(layerDigest.dropFirst(7))]])
        let config = try json("blobs/sha256/" + configDigest.dropFirst(7)) as? [String: Any]
        #expect(((config?["rootfs"] as? [String: Any])?["diff_ids"] as? [String]) == [layerDigest])
        #expect(sh("cd \(x) && sha256sum -c <<EOF\n\(layerDigest.dropFirst(7))  blobs/sha256/\(layerDigest.dropFirst(7))\nEOF").status == 0)
    }
}
