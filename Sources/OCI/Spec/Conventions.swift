// Conventions.swift: how a container tells ukvm-oci what the Solo5 manifest
// needs and the OCI spec has no field for (docs/oci.md, "Conventions").
//
//   block device NAME   the file /solo5/block/NAME in the container (from
//                       the image, or a bind mount there), or the path in
//                       annotation org.solo5.block.NAME
//   network device NAME the container's interface eth<i> for the i-th network
//                       device of the manifest, or the interface named in
//                       annotation org.solo5.net.NAME
//   memory              what linux.resources.memory.limit leaves beside the
//                       monitor (MemoryBudget.swift), rounded down to 2 MiB,
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

    /// Guest memory in MiB for `spec`: the annotation, else what the memory
    /// limit leaves beside the monitor (MemoryBudget), else the default;
    /// an annotated size must fit under the limit with its monitor.
    static func memoryMiB(_ spec: RuntimeSpec) throws(OCIError) -> UInt64 {
        var mib = GuestMemorySize.defaultMiB
        var source = "the default"
        if let text = spec.annotation(memoryAnnotation) {
            guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let v = UInt64(text) else {
                throw OCIError("annotation \(memoryAnnotation)=\"\(text)\": expected a number of MiB")
            }
            mib = v
            source = "annotation \(memoryAnnotation)"
            if let limit = spec.memoryLimit, !MemoryBudget.fits(guestMiB: GuestMemorySize.roundedDown(min(v, GuestMemorySize.max >> 20) << 20) >> 20,
                                                                  limit: limit) {
                throw MemoryBudget.tooSmall(limit: limit, guestMiB: GuestMemorySize.roundedDown(min(v, GuestMemorySize.max >> 20) << 20) >> 20,
                                            what: "annotation \(memoryAnnotation)=\(text)")
            }
        } else if let limit = spec.memoryLimit {
            guard let guest = MemoryBudget.guestMiB(limit: limit) else {
                throw MemoryBudget.tooSmall(limit: limit, guestMiB: GuestMemorySize.granule >> 20,
                                            what: "linux.resources.memory.limit")
            }
            mib = guest
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
