// NetConfiguration.swift: the network devices of one run, typed: what the
// --net flags say, or the taps ukvm-oci made in the container's network
// namespace, with their MACs and what the net module offers the guest.

import Image
import KVM

package struct NetConfiguration {
    /// Where a device's frames go.
    package enum Target: Equatable {
        /// An existing tap interface, attached by name when the run starts.
        case interface(String)
        /// An inherited descriptor of an attached tap, already checked
        /// (Tap.inherit), with its interface's MTU.
        case inherited(fd: Int32, mtu: UInt64)

        /// The descriptor of an inherited tap, else nil.
        package var inheritedFD: Int32? {
            if case .inherited(let fd, _) = self { return fd }
            return nil
        }
    }

    package struct Device: Equatable {
        package let name: String
        package let target: Target

        package init(name: String, target: Target) {
            self.name = name
            self.target = target
        }

        /// The tap as the command line names it: IFACE or @FD, for messages.
        package var label: String {
            switch target {
            case .interface(let name): return name
            case .inherited(let fd, _): return "@\(fd)"
            }
        }
    }

    /// Whether upstream's ring is offered: nil decides by the guest and the
    /// KVM (NetModule.ringReservation).
    package enum RingChoice { case always, never }

    /// In the order given.
    package var devices: [Device] = []
    /// MACs by device name; the others get a random one.
    package var macs: [String: [UInt8]] = [:]
    /// Whether NETIO, our batched hypercall, is offered.
    package var netio = true
    /// Whether large send (UKVM_HOST_FEATURE_LARGE_SEND) is offered: taps
    /// attached by name then carry virtio-net headers (LargeSend.swift).
    package var largeSend = true
    package var ring: RingChoice?

    package init() {}

    /// The ring's memory, when there are `devices` network devices to use
    /// it and the ring is offered to this guest: planned with the guest's
    /// memory (PlannedImage), before the image is checked against it.
    package static func ringReservation(devices: Int, choice: RingChoice?, image: ELFImage) -> UInt64 {
        guard devices > 0 else { return 0 }
        switch choice {
        case .always: return NetRing.reserve
        case .never: return 0
        case nil: return image.cpl3 == nil && Platform.emulatesRing0 ? 0 : NetRing.reserve
        }
    }

    /// The device `name` on the inherited tap `fd`, checked as the `@FD`
    /// flag checks it: a tap in this namespace, no packet information.
    package static func inherited(name: String, fd: Int32) throws(MonitorError) -> Device {
        let fail = { (reason: String) in MonitorError.netDevice(name: name, iface: "@\(fd)", reason: reason) }
        let tap = try Tap.inherit(fd, fail: fail)
        return Device(name: name, target: .inherited(fd: fd, mtu: tap.mtu))
    }
}
