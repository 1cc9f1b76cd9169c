// Conventions.swift: how a container tells ukvm-oci what the Solo5 manifest
// needs and the OCI spec has no field for (docs/oci.md, "Conventions").
//
//   block device NAME   the file /solo5/block/NAME in the container (from
//                       the image, or a bind mount there), or the path in
//                       annotation org.solo5.block.NAME
//   network device NAME the container's interface eth<i> for the i-th network
//                       device of the manifest, or the interface named in
//                       annotation org.solo5.net.NAME
//   memory              linux.resources.memory.limit, rounded down to 2 MiB,
//                       at most 4096 MiB; the monitor's default (512 MiB)
//                       without a limit, or annotation org.solo5.memory (MiB)

import Monitor

enum Conventions {
    static let blockDirectory = "/solo5/block/"
    static let blockAnnotation = "org.solo5.block."
    static let netAnnotation = "org.solo5.net."
    static let memoryAnnotation = "org.solo5.memory"

    /// The container path of block device `name`.
    static func blockPath(_ name: String, spec: RuntimeSpec) -> String {
        spec.annotation(blockAnnotation + name) ?? blockDirectory + name
    }

    /// The container interface serving the `index`-th network device `name`.
    static func interface(_ name: String, index: Int, spec: RuntimeSpec) -> String {
        spec.annotation(netAnnotation + name) ?? "eth\(index)"
    }

    /// Guest memory in MiB for `spec`.
    static func memoryMiB(_ spec: RuntimeSpec) throws(OCIError) -> UInt64 {
        var mib = GuestMemorySize.defaultMiB
        var source = "the default"
        if let text = spec.annotation(memoryAnnotation) {
            guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let v = UInt64(text) else {
                throw OCIError("annotation \(memoryAnnotation)=\"\(text)\": expected a number of MiB")
            }
            mib = v
            source = "annotation \(memoryAnnotation)"
        } else if let limit = spec.memoryLimit {
            mib = limit >> 20
            source = "linux.resources.memory.limit (\(limit) bytes)"
        }
        // The monitor's rule (GuestMemorySize): whole 2 MiB pages, at most 4 GiB.
        let bytes = GuestMemorySize.roundedDown(min(mib, GuestMemorySize.max >> 20) << 20)
        guard bytes >= GuestMemorySize.granule else {
            throw OCIError("guest memory from \(source) is below \(GuestMemorySize.granule >> 20) MiB")
        }
        return bytes >> 20
    }
}
