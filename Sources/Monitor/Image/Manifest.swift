// Manifest.swift: the devices an image declares (its Solo5 manifest note,
// include/mft_abi.h), as the monitor keeps them.
//
// A device's handle is its entry index. The monitor fills in, for each
// attached device, `attached`, capacity/block_size or mac/mtu, and gives the
// guest that copy (Manifest+Guest.swift).

import CKVM

struct Manifest: Equatable {
    enum DeviceType: Equatable {
        case blockBasic
        case netBasic
        case reservedFirst

        /// The type of a manifest entry's `type` field, or nil if none has it.
        init?(raw: UInt32) {
            switch raw {
            case UInt32(MFT_DEV_BLOCK_BASIC): self = .blockBasic
            case UInt32(MFT_DEV_NET_BASIC): self = .netBasic
            case UInt32(MFT_RESERVED_FIRST): self = .reservedFirst
            default: return nil
            }
        }

        /// The value of the `type` field.
        var raw: UInt32 {
            switch self {
            case .blockBasic: return UInt32(MFT_DEV_BLOCK_BASIC)
            case .netBasic: return UInt32(MFT_DEV_NET_BASIC)
            case .reservedFirst: return UInt32(MFT_RESERVED_FIRST)
            }
        }

        /// "block" or "network", for messages.
        var noun: String {
            switch self {
            case .blockBasic: return "block"
            case .netBasic: return "network"
            case .reservedFirst: return "reserved"
            }
        }
    }

    struct Entry: Equatable {
        var name: String
        var type: DeviceType
        var attached = false
        // Block devices.
        var capacity: UInt64 = 0
        var blockSize: UInt16 = 0
        // Network devices.
        var mac: [UInt8] = [0, 0, 0, 0, 0, 0]
        var mtu: UInt16 = 0
        /// The monitor's own: the host fd of the device.
        var hostpriv: UInt64 = 0
    }

    static let version = UInt32(MFT_VERSION)
    static let maxEntries = Int(MFT_MAX_ENTRIES)
    static let nameSize = Int(MFT_NAME_SIZE)
    static let nameMax = Int(MFT_NAME_MAX)

    var entries: [Entry]

    /// What an image without a manifest note has: the reserved entry only.
    static let empty = Manifest(entries: [Entry(name: "", type: .reservedFirst)])

    /// The handle (entry index) of device `name`.
    func handle(of name: String) -> Int? {
        entries.firstIndex { $0.type != .reservedFirst && $0.name == name }
    }

    /// The first device of `type` (for the original `KERNEL DISK TAP` form).
    func first(_ type: DeviceType) -> Entry? {
        entries.first { $0.type == type }
    }

    /// The handle of device `name`, which must be declared with `type`;
    /// `given` names the kind the user asked for, for messages.
    func bind(_ name: String, as type: DeviceType, given: String) throws(MonitorError) -> Int {
        guard let h = handle(of: name) else { throw .deviceNotDeclared(name: name) }
        let declared = entries[h].type
        guard declared == type else {
            throw .deviceWrongType(name: name, declared: declared.noun, given: given)
        }
        return h
    }
}
