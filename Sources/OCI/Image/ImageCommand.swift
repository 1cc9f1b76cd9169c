// ImageCommand.swift: `ukvm-oci image`, ukvm-oci's own command (runc has no
// such thing): a unikernel, its arguments and disks into an OCI image
// archive (scripts/oci-image is the same command):
//
//   ukvm-oci image [--output FILE] [--name REF] [--disk NAME=PATH]...
//                  UNIKERNEL.ukvm [ARGS...]

enum ImageCommand {
    static let usage = """
        usage: ukvm-oci image [--output FILE] [--name REF] [--disk NAME=PATH]... UNIKERNEL.ukvm [ARGS...]
        Writes an image archive of the unikernel that docker load, podman load and ctr image import take
        (an OCI image layout and Docker's manifest.json over the same blobs).
          --output FILE, -o   the archive (default: BASE.oci.tar)
          --name REF          the image's reference (default: localhost/ukvm/BASE:latest)
          --disk NAME=PATH    PATH becomes block device NAME's disk, /solo5/block/NAME in the image
          ARGS                the guest's command line ({{service0.ip}} and the like are filled in at create)
          --help, -h
        """

    static func run(_ p: ParsedFlags) throws(OCIError) {
        guard let unikernel = p.arguments.first else {
            throw OCIError("image: missing UNIKERNEL.ukvm; " + usage.split(separator: "\n")[0])
        }
        var archive = ImageArchive(unikernel: unikernel, args: Array(p.arguments.dropFirst()), disks: [],
                                   name: p.values["name"] ?? ImageArchive.defaultName(for: unikernel))
        for spec in p.repeated["disk"] ?? [] {
            guard let eq = spec.firstIndex(of: "="), eq != spec.startIndex, spec.index(after: eq) != spec.endIndex
            else { throw OCIError("--disk \"\(spec)\": expected NAME=PATH") }
            let name = String(spec[..<eq])
            guard !name.contains("/"), !archive.disks.contains(where: { $0.name == name }) else {
                throw OCIError("--disk \"\(spec)\": bad or repeated device name")
            }
            archive.disks.append(.init(name: name, path: String(spec[spec.index(after: eq)...])))
        }
        let output = p.values["output"] ?? (archive.entryName.split(separator: ".").first.map(String.init) ?? "image")
            + ".oci.tar"
        try archive.write(to: output)
        UkvmOCI.write(stdout: "\(output): \(archive.name)\n")
    }
}
