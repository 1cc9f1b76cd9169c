// DeviceBinding.swift: matching the devices the command line asks for to
// the image's manifest, then attaching them.
//
// Every request is checked against the manifest (declared, with its type),
// and every declared device must be requested, before any device is
// opened: a bad command line opens nothing. Each device's entry is looked
// up once, here, and handed to its module.

import Image

enum DeviceBinding {
    /// Attaches every requested device to `manifest`, filling in its entry.
    static func attach(_ modules: [MonitorModule], to manifest: inout Manifest) throws(MonitorError) {
        for (m, h) in try resolve(modules, in: manifest) {
            try m.attach(&manifest.entries[h], handle: h)
        }
    }

    /// Each requested device's module and handle, checked against the
    /// manifest both ways; opens nothing.
    static func resolve(_ modules: [MonitorModule],
                        in manifest: Manifest) throws(MonitorError) -> [(module: DeviceModule, handle: Int)] {
        var bound: [(module: DeviceModule, handle: Int)] = []
        for m in modules.compactMap({ $0.asDevice }) {
            // A handful of devices: arrays, where a Set would bring in hashing.
            let names = m.requests.map { $0.name }
            for option in m.deviceOptions where !names.contains(option.name) {
                throw .optionForUnattachedDevice(flag: option.flag, name: option.name)
            }
            for request in m.requests {
                let h = try manifest.bind(request.name, as: request.type, given: request.type.noun)
                bound.append((m, h))
            }
        }
        let handles = bound.map { $0.handle }
        for (h, e) in manifest.entries.enumerated() where h > 0 && !handles.contains(h) {
            throw .deviceNotAttached(name: e.name, flag: flag(for: e))
        }
        return bound
    }

    /// The flag that attaches device `e`, for messages.
    static func flag(for e: Manifest.Entry) -> String {
        e.type == .blockBasic ? "--block:\(e.name)=PATH" : "--net:\(e.name)=TAP"
    }
}

extension Manifest {
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
