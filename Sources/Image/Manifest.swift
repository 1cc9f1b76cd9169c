// Manifest.swift: the devices an image declares (its Solo5 manifest note,
// include/mft_abi.h), as the monitor keeps them.
//
// A device's handle is its entry index. The monitor fills in, for each
// attached device, `attached`, capacity/block_size or mac/mtu, and gives the
// guest that copy (Manifest+Guest.swift).

import CKVM

package struct Manifest: Equatable {
    package enum DeviceType: Equatable {
        case blockBasic
        case netBasic
        case reservedFirst

        /// The type of a manifest entry's `type` field, or nil if none has it.
        package init?(raw: UInt32) {
            switch raw {
            case UInt32(MFT_DEV_BLOCK_BASIC): self = .blockBasic
            case UInt32(MFT_DEV_NET_BASIC): self = .netBasic
            case UInt32(MFT_RESERVED_FIRST): self = .reservedFirst
            default: return nil
            }
        }

        /// The value of the `type` field.
        package var raw: UInt32 {
            switch self {
            case .blockBasic: return UInt32(MFT_DEV_BLOCK_BASIC)
            case .netBasic: return UInt32(MFT_DEV_NET_BASIC)
            case .reservedFirst: return UInt32(MFT_RESERVED_FIRST)
            }
        }

        /// "block" or "network", for messages.
        package var noun: String {
            switch self {
            case .blockBasic: return "block"
            case .netBasic: return "network"
            case .reservedFirst: return "reserved"
            }
        }
    }

    package struct Entry: Equatable {
        package var name: String
        package var type: DeviceType
        package var attached = false
        // Block devices.
        package var capacity: UInt64 = 0
        package var blockSize: UInt16 = 0
        // Network devices.
        package var mac: [UInt8] = [0, 0, 0, 0, 0, 0]
        package var mtu: UInt16 = 0
        /// The monitor's own: the host fd of the device.
        package var hostpriv: UInt64 = 0

        /// An entry not yet attached (the monitor fills in the rest).
        package init(name: String, type: DeviceType) {
            self.name = name
            self.type = type
        }
    }

    package static let version = UInt32(MFT_VERSION)
    package static let maxEntries = Int(MFT_MAX_ENTRIES)
    package static let nameSize = Int(MFT_NAME_SIZE)
    package static let nameMax = Int(MFT_NAME_MAX)

    package var entries: [Entry]

    package init(entries: [Entry]) {
        self.entries = entries
    }

    /// What an image without a manifest note has: the reserved entry only.
    package static let empty = Manifest(entries: [Entry(name: "", type: .reservedFirst)])

    /// The handle (entry index) of device `name`.
    package func handle(of name: String) -> Int? {
        entries.firstIndex { $0.type != .reservedFirst && $0.name == name }
    }

    /// The first device of `type` (for the original `KERNEL DISK TAP` form).
    package func first(_ type: DeviceType) -> Entry? {
        entries.first { $0.type == type }
    }

}
