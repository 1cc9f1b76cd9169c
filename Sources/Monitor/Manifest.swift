// Manifest.swift: the devices an image declares (its Solo5 manifest note),
// and the monitor's copy of it, which the guest reads through boot info.
//
// A device's handle is its entry index. The monitor fills in, for each
// attached device, `attached`, capacity/block_size or mac/mtu.

import CKVM

struct Manifest: Equatable {
    enum DeviceType: UInt32 {
        case blockBasic = 1
        case netBasic = 2
        case reservedFirst = 0x4000_0000

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
    static let entrySize = 104
    static let headerSize = 8
    /// The note descriptor starts with 4 bytes of padding.
    static let notePadding = 4

    var entries: [Entry]

    /// What an image without a manifest note has: the reserved entry only.
    static let empty = Manifest(entries: [Entry(name: "", type: .reservedFirst)])

    /// Bytes of `struct mft` with all its entries.
    var byteSize: Int { Manifest.headerSize + Manifest.entrySize * entries.count }

    /// The handle (entry index) of device `name`.
    func handle(of name: String) -> Int? {
        entries.firstIndex { $0.type != .reservedFirst && $0.name == name }
    }

    /// The handles of the devices a module attaches: each name must be
    /// declared with `type` (`given` names the kind for messages). Every
    /// per-device option (`options`: device name to its flag) must be for
    /// one of them.
    func bind(_ names: [String], as type: DeviceType, given: String,
              options: [String: String]) throws(MonitorError) -> [Int] {
        var handles: [Int] = []
        for name in names {
            guard let h = handle(of: name) else { throw .deviceNotDeclared(name: name) }
            let declared = entries[h].type
            guard declared == type else {
                throw .deviceWrongType(name: name, declared: declared.noun, given: given)
            }
            handles.append(h)
        }
        for name in options.keys.sorted() where !names.contains(name) {
            throw .optionForUnattachedDevice(flag: options[name] ?? name, name: name)
        }
        return handles
    }

    /// The first device of `type` (for the legacy KERNEL DISK TAP form).
    func first(_ type: DeviceType) -> Int? {
        entries.firstIndex { $0.type == type }
    }

    /// Parses and validates a manifest note descriptor (`size` bytes at
    /// `offset` of `r`, already known to lie inside the file).
    static func parse(_ r: ByteReader, offset: UInt64, size: UInt64) throws(ImageProblem) -> Manifest {
        let fixed = UInt64(notePadding + headerSize)
        guard size >= fixed else { throw .invalid("manifest: note of \(size) bytes is too short") }
        let version = try r.u32(offset + 4, "manifest")
        let count = try r.u32(offset + 8, "manifest")
        guard version == Manifest.version else {
            throw .invalid("manifest: version \(version), expected \(Manifest.version)")
        }
        guard count >= 1, count <= UInt32(maxEntries) else {
            throw .invalid("manifest: \(count) entries, must be 1 to \(maxEntries)")
        }
        let expected = fixed + UInt64(count) * UInt64(entrySize)
        guard size == expected else {
            throw .invalid("manifest: note is \(size) bytes, \(count) entries need \(expected)")
        }
        var entries: [Entry] = []
        var names = Set<String>()
        for i in 0..<UInt64(count) {
            let at = offset + fixed + i * UInt64(entrySize)
            guard let nameRange = r.range(at, UInt64(nameSize)) else {
                throw .invalid("manifest: truncated entry \(i)")
            }
            let raw = r.bytes[nameRange]
            guard let nul = raw.firstIndex(of: 0) else {
                throw .invalid("manifest: entry \(i): name is not NUL-terminated")
            }
            let name = String(decoding: raw[raw.startIndex..<nul], as: UTF8.self)
            let rawType = try r.u32(at + 68, "manifest")
            let attached = try r.u8(at + 96, "manifest")
            guard attached == 0 else {
                throw .invalid("manifest: entry \(i): 'attached' is set in the image")
            }
            if i == 0 {
                guard rawType == DeviceType.reservedFirst.rawValue, nul == raw.startIndex else {
                    throw .invalid("manifest: entry 0 must be the reserved entry with an empty name")
                }
                entries.append(Entry(name: "", type: .reservedFirst))
                continue
            }
            guard nul != raw.startIndex else { throw .invalid("manifest: entry \(i): empty name") }
            guard let type = DeviceType(rawValue: rawType), type != .reservedFirst else {
                throw .invalid("manifest: entry \(i) ('\(name)'): unknown device type \(hex(rawType))")
            }
            guard names.insert(name).inserted else {
                throw .invalid("manifest: device name '\(name)' appears twice")
            }
            entries.append(Entry(name: name, type: type))
        }
        return Manifest(entries: entries)
    }

    /// Writes the monitor's copy (`struct mft`) at gpa.
    func write(to memory: GuestMemory, at gpa: UInt64) throws(MonitorError) {
        try memory.zero(gpa: gpa, count: UInt64(byteSize))
        var header = mft()
        header.version = Manifest.version
        header.entries = UInt32(entries.count)
        try memory.write(header, gpa: gpa)
        for (i, e) in entries.enumerated() {
            var c = mft_entry()
            withUnsafeMutableBytes(of: &c.name) { name in
                for (j, byte) in e.name.utf8.prefix(Manifest.nameMax).enumerated() { name[j] = byte }
            }
            c.type = e.type.rawValue
            switch e.type {
            case .blockBasic:
                c.u.block_basic.capacity = e.capacity
                c.u.block_basic.block_size = e.blockSize
            case .netBasic:
                withUnsafeMutableBytes(of: &c.u.net_basic.mac) { mac in
                    for (j, byte) in e.mac.prefix(6).enumerated() { mac[j] = byte }
                }
                c.u.net_basic.mtu = e.mtu
            case .reservedFirst:
                break
            }
            c.hostpriv = e.hostpriv
            c.attached = e.attached ? 1 : 0
            let at = gpa + UInt64(Manifest.headerSize + i * Manifest.entrySize)
            try memory.write(c, gpa: at)
        }
    }
}
