// BlockConfiguration.swift: the block devices of one run, typed: what the
// --block flags say, or what ukvm-oci found in the container. The block
// module opens and checks each device when the launcher attaches it.

import Support

package struct BlockConfiguration: Equatable {
    /// One device: its manifest name and the file or device behind it.
    package struct Device: Equatable {
        package let name: String
        /// The path, byte for byte (it need not be UTF-8).
        package let path: Argument

        package init(name: String, path: Argument) {
            self.name = name
            self.path = path
        }
    }

    /// In the order given.
    package var devices: [Device] = []
    /// Sector sizes by device name; BlockModule.defaultSectorSize for the rest.
    package var sectorSizes: [String: UInt64] = [:]
    /// Whether the boot info offers multi-block requests.
    package var multiBlock = true

    package init() {}
}
