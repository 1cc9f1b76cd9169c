// NetModule.swift: the net module: --net:NAME=IFACE|@FD and
// --net-mac:NAME=MAC, and the NET_WRITE and NET_READ hypercalls. Two faster
// paths are offered besides: NETIO, our batched hypercall (NetBatch.swift),
// and upstream's network ring, served by a thread (NetRing.swift). A guest
// picks what it knows.
//
// The ring is offered unless the guest runs at CPL 0 on a KVM that emulates
// ring 0 (kvm-pvm, docs/platform.md): there the guest's own ring code, every
// instruction of it emulated, costs more than the exits it saves, and the
// hypercalls are measured twice as fast (docs/compatibility.md).
// --x-net-ring and --x-no-net-ring override that; --x-no-netio takes NETIO
// off the offer: to compare the paths, or to test what a guest does without.
// Large send (LargeSend.swift) is offered when every device is a tap this
// monitor attached by name (with virtio-net headers); --x-no-large-send
// withholds it, and then taps are attached without the headers.
//
// IFACE must be an existing tap interface that is up; @FD uses an inherited,
// already-attached tap fd, checked as soon as the flag is read (Tap.swift).
// The MTU comes from the interface.

import CKVM
import CSys
import Glibc
import Image
import KVM
import Support

final class NetModule: DeviceModule, PolledModule {
    /// An attached device, by handle; fd -1 when none.
    struct Slot {
        var fd: Int32 = -1
        var mtu: UInt64 = 0
        /// An inherited fd (@FD): its file description is shared with
        /// whoever passed it, so it is never switched to non-blocking mode;
        /// each read and write is non-blocking on its own (RWF_NOWAIT).
        var shared = false
        /// Every frame on the tap starts with a struct virtio_net_hdr.
        var vnet = false
        /// Large frames (LargeSend) are taken: set for every device or none.
        var largeSend = false

        /// The largest frame the guest may send on this device.
        var maxFrame: UInt64 { largeSend ? UInt64(UKVM_NET_LARGE_MAX) : ukvm_net_tx_max(mtu) }

        /// One frame from the tap into `buffer`; read(2)'s result, without
        /// the virtio-net header when the tap has one.
        @inline(__always)
        func read(_ buffer: UnsafeMutableRawPointer, _ length: Int) -> Int {
            if shared { return csys_read_nowait(fd, buffer, length) }
            return vnet ? LargeSend.read(fd, buffer, length) : Glibc.read(fd, buffer, length)
        }

        /// One frame (of at most ukvm_net_tx_max bytes) to the tap;
        /// write(2)'s result, without the header when the tap has one.
        @inline(__always)
        func write(_ frame: UnsafeRawPointer, _ length: Int) -> Int {
            if shared { return csys_write_nowait(fd, frame, length) }
            return vnet ? LargeSend.write(fd, frame, length) : Glibc.write(fd, frame, length)
        }

        /// The attached device behind a guest-supplied handle, if any.
        static func attached(_ slots: [Slot], _ handle: UInt64) -> Slot? {
            guard handle < UInt64(slots.count) else { return nil }
            let s = slots[Int(handle)]
            return s.fd >= 0 ? s : nil
        }
    }

    /// The devices and options of this run: from the flags, or set whole
    /// by the launcher (LaunchConfiguration).
    var configuration = NetConfiguration()
    /// --net:NAME=TARGET, in the order given; TARGET is an interface name
    /// or "@N" for an inherited fd.
    var targets: [(name: String, target: String)] { configuration.devices.map { ($0.name, $0.label) } }
    var macs: [String: [UInt8]] { configuration.macs }
    private(set) var slots = [Slot](repeating: Slot(), count: Manifest.maxEntries)
    private var attached: [PollDescriptor] = []
    /// The interface check; replaceable for tests.
    var interfaceExists: (String) -> Bool = NetInterface.exists
    /// The check of an inherited fd (Tap.inherit); replaceable for tests,
    /// which stand socketpairs in for taps.
    var inheritTap: (Int32, (String) -> MonitorError) throws(MonitorError) -> (name: String, mtu: UInt64) = Tap.inherit
    typealias RingChoice = NetConfiguration.RingChoice
    /// What is on offer besides the base hypercalls.
    var offersNETIO: Bool { configuration.netio }
    var ringChoice: RingChoice? { configuration.ring }
    /// The ring, once the VM is ready and the ring could be set up.
    private(set) var ring: NetRing?

    /// Once the VM and guest memory exist: `reserved` is where the ring's
    /// memory starts (PlannedImage.ringAt), nil when there was none.
    func prepare(vm: VM, memory: GuestMemory, reserved: UInt64?) throws(MonitorError) {
        // Every path reads the slots from here on: decide large send first.
        let devices = slots.indices.filter { slots[$0].fd >= 0 }
        let largeSend = configuration.largeSend && !devices.isEmpty && devices.allSatisfy { slots[$0].vnet }
        for i in devices { slots[i].largeSend = largeSend }
        guard let gpa = reserved else { return }
        do {
            let r = try NetRing(memory: memory, gpa: gpa, devices: slots, vm: vm)
            try r.start()
            ring = r
        } catch {
            // As upstream's tender: without a ring the guest uses the hypercalls.
            Console.error("warning: network ring unavailable (\(error)); the guest uses hypercalls")
        }
    }

    func describe(_ info: inout ukvm_boot_info) {
        if offersNETIO && !targets.isEmpty { info.host_features |= UInt32(UKVM_HOST_FEATURE_NETIO) }
        if slots.contains(where: { $0.largeSend }) { info.host_features |= UInt32(UKVM_HOST_FEATURE_LARGE_SEND) }
        if let ring {
            info.host_features |= UInt32(UKVM_HOST_FEATURE_RING_IO)
            info.net_ring = ring.gpa
        }
    }

    func shutdown() -> Bool {
        ring?.stop()
        if let lost = ring?.dropped, lost > 0 {
            Console.error("net ring: \(lost) frame(s) the taps would not take were dropped")
        }
        return true
    }

    var usage: [String] {
        ["--net:NAME=IFACE|@FD       attach network device NAME to tap interface IFACE (existing, up)",
         "                           or to the inherited tap file descriptor FD",
         "--net-mac:NAME=MAC         MAC address of NAME, e.g. 02:00:00:00:00:01 "
            + "(default: random, locally administered)",
         "--x-no-netio               do not offer our batched NETIO (to compare the paths)",
         "--x-no-large-send          do not offer large send (TCP segmented by the host)",
         "--x-net-ring, --x-no-net-ring  offer upstream's network ring always, or never",
         "                           (default: unless the guest runs at CPL 0 under kvm-pvm)"]
    }

    var requests: [DeviceRequest] { targets.map { DeviceRequest(name: $0.name, type: .netBasic) } }

    var deviceOptions: [DeviceOption] {
        macs.keys.sorted().map { DeviceOption(name: $0, flag: "--net-mac:\($0)") }
    }

    var pollDescriptors: [PollDescriptor] { attached }

    func handleFlag(_ arg: Argument) throws(MonitorError) -> Bool {
        switch arg.text {
        case "--x-no-netio": configuration.netio = false; return true
        case "--x-no-large-send": configuration.largeSend = false; return true
        case "--x-net-ring": configuration.ring = .always; return true
        case "--x-no-net-ring": configuration.ring = .never; return true
        default: break
        }
        if let (name, value) = try DeviceFlag.parse(arg, prefix: "--net:", form: "--net:NAME=IFACE|@FD") {
            guard !targets.contains(where: { $0.name == name }) else {
                throw .duplicateDevice(name: name, flag: "--net")
            }
            let target = try DeviceFlag.text(value, flag: "--net:\(name)", expected: "interface name or @FD")
            if target.hasPrefix("@") {
                guard let n = DeviceFlag.decimal(String(target.dropFirst())), n <= UInt64(Int32.max) else {
                    throw .badValue(flag: "--net:\(name)", value: target, expected: "@FD (file descriptor)")
                }
                let fd = Int32(n)
                let fail = { (reason: String) in MonitorError.netDevice(name: name, iface: target, reason: reason) }
                guard !configuration.devices.contains(where: { $0.target.inheritedFD == fd }) else {
                    throw fail("file descriptor \(fd) is attached twice")
                }
                let tap = try inheritTap(fd, fail)
                configuration.devices.append(.init(name: name, target: .inherited(fd: fd, mtu: tap.mtu)))
            } else {
                guard NetInterface.isValidName(target) else {
                    throw .badValue(flag: "--net:\(name)", value: target, expected: "interface name")
                }
                configuration.devices.append(.init(name: name, target: .interface(target)))
            }
            return true
        }
        if let (name, value) = try DeviceFlag.parse(arg, prefix: "--net-mac:", form: "--net-mac:NAME=MAC") {
            let text = value.description
            guard let mac = MAC.parse(text) else {
                throw .badValue(flag: "--net-mac:\(name)", value: text,
                                expected: "unicast MAC address (six hex pairs, e.g. 02:00:00:00:00:01)")
            }
            guard macs[name] == nil else { throw .duplicateDevice(name: name, flag: "--net-mac") }
            configuration.macs[name] = mac
            return true
        }
        return false
    }

    func attach(_ entry: inout Manifest.Entry, handle: Int) throws(MonitorError) {
        let name = entry.name
        guard let device = configuration.devices.first(where: { $0.name == name }) else {
            throw .deviceNotDeclared(name: name)
        }
        func fail(_ reason: String) -> MonitorError {
            .netDevice(name: name, iface: device.label, reason: reason)
        }
        let slot: Slot
        switch device.target {
        case .inherited(let fd, let mtu):
            slot = Slot(fd: fd, mtu: mtu, shared: true)
        case .interface(let iface):
            let vnet = configuration.largeSend
            let (fd, mtu) = try Tap.open(iface, vnetHeader: vnet, exists: interfaceExists, fail: fail)
            slot = Slot(fd: fd, mtu: mtu, vnet: vnet)
        }
        guard let mac = macs[name] ?? MAC.random() else {
            if !slot.shared { close(slot.fd) }
            throw fail("cannot read /dev/urandom for a MAC")
        }
        slots[handle] = slot
        let fd = slot.fd
        attached.append(PollDescriptor(fd: fd, handle: handle))
        entry.attached = true
        entry.mac = mac
        entry.mtu = UInt16(slot.mtu)
        entry.hostpriv = UInt64(fd)
    }

    func registerHypercalls(_ table: inout HypercallTable, memory: GuestMemory,
                            wait: DeviceWait) throws(MonitorError) {
        try table.register(UKVM_HYPERCALL_NET_WRITE, updating: ukvm_hc_net_write.self, in: memory) { [self] hc in
            hc.ret = send(handle: hc.handle, data: hc.data, length: hc.len, memory: memory)
        }
        try table.register(UKVM_HYPERCALL_NET_READ, updating: ukvm_hc_net_read.self, in: memory) { [self] hc in
            (hc.ret, hc.len) = receive(handle: hc.handle, data: hc.data, length: hc.len, memory: memory)
        }
        let batch = NetBatch(slots: slots, wait: wait)
        try table.register(UKVM_HYPERCALL_NETIO, updating: ukvm_hc_netio.self, in: memory) { hc in
            batch.exchange(&hc, memory: memory)
        }
    }

    /// Frames in and out of the taps: read and write on the monitor's own
    /// (non-blocking) ones, preadv2 and pwritev2 (RWF_NOWAIT) on inherited
    /// ones (Slot.shared).
    func sandboxNeeds(_ context: SandboxContext) -> SandboxNeeds {
        let attached = slots.filter { $0.fd >= 0 }
        return .calls([.write, .read], on: attached.filter { !$0.shared }.map { $0.fd }, why: "taps")
            + .calls([.writev, .readv], on: attached.filter { $0.vnet }.map { $0.fd }, why: "taps with virtio-net headers")
            + .calls([.pwritev2, .preadv2], on: attached.filter { $0.shared }.map { $0.fd }, why: "inherited taps")
            + (ring?.sandboxNeeds ?? .none)
    }

    /// Writes one frame of at most slot.maxFrame bytes to a tap; returns a
    /// ukvm_result: AGAIN when the tap is full, EINVAL for a large frame
    /// that fails its checks, EUNSPEC on any other failure or a short write.
    static func write(_ slot: Slot, frame: UnsafeRawPointer, length: UInt64) -> Int32 {
        if length > ukvm_net_tx_max(slot.mtu) {
            return slot.largeSend ? LargeSend.send(slot.fd, frame: frame, length: length, mtu: slot.mtu)
                                  : HypercallStatus.invalid
        }
        while true {
            let n = slot.write(frame, Int(length))
            if n == Int(length) { return HypercallStatus.ok }
            if n < 0 && errno == EINTR { continue }
            if n < 0 && errno == EAGAIN { return HypercallStatus.again }
            return HypercallStatus.unspecified
        }
    }

    /// NET_WRITE: one frame to the tap.
    private func send(handle: UInt64, data: UInt64, length: UInt64,
                      memory: GuestMemory) -> Int32 {
        guard let s = Slot.attached(slots, handle), length > 0, length <= s.maxFrame,
              let frame = try? memory.pointer(gpa: data, count: length, .guestReadable) else {
            return HypercallStatus.invalid
        }
        return NetModule.write(s, frame: frame, length: length)
    }

    /// NET_READ: one frame from the tap, or AGAIN; returns (result, frame size).
    private func receive(handle: UInt64, data: UInt64, length: UInt64,
                         memory: GuestMemory) -> (Int32, UInt64) {
        guard let s = Slot.attached(slots, handle), length >= ukvm_net_rx_min(s.mtu),
              let buffer = try? memory.pointer(gpa: data, count: length, .guestWritable) else {
            return (HypercallStatus.invalid, length)
        }
        let (result, n) = NetModule.read(s, into: buffer, capacity: length)
        return (result, result == HypercallStatus.ok ? UInt64(n) : length)
    }

    /// Reads one frame from a tap into a checked buffer of `capacity` bytes;
    /// returns a ukvm_result (OK, AGAIN when none is queued, EUNSPEC) and
    /// the frame's size.
    static func read(_ slot: Slot, into buffer: UnsafeMutableRawPointer, capacity: UInt64) -> (Int32, UInt32) {
        while true {
            let n = slot.read(buffer, Int(truncatingIfNeeded: capacity))
            if n > 0 { return (HypercallStatus.ok, UInt32(truncatingIfNeeded: n)) }
            if n < 0 && errno == EINTR { continue }
            if n == 0 || errno == EAGAIN { return (HypercallStatus.again, 0) }
            return (HypercallStatus.unspecified, 0)
        }
    }
}
