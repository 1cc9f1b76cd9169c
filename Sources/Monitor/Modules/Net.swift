// Net.swift: the net module: --net:NAME=IFACE|@FD and --net-mac:NAME=MAC,
// and the NET_WRITE and NET_READ hypercalls (NETIO: Net+NETIO.swift).
//
// IFACE must be an existing tap interface that is up; it is opened through
// /dev/net/tun with IFF_TAP | IFF_NO_PI, non-blocking. @FD uses an inherited,
// already-attached tap fd. The MTU comes from the interface.

import CKVM
import Glibc

/// Network interface queries.
enum NetInterface {
    /// Kernel interface names are 1 to 15 bytes and never contain '/'.
    static func isValidName(_ name: String) -> Bool {
        let n = name.utf8.count
        return n >= 1 && n < Int(IFNAMSIZ) && !name.contains("/") && name != "." && name != ".."
    }

    /// Whether the interface exists. Checked before TUNSETIFF, which would
    /// create a missing one.
    static func exists(_ name: String) -> Bool {
        isValidName(name) && access("/sys/class/net/" + name, F_OK) == 0
    }

    /// An ifreq naming `name`.
    static func request(_ name: String) -> ifreq {
        var ifr = ifreq()
        withUnsafeMutableBytes(of: &ifr.ifr_ifrn.ifrn_name) { dst in
            for (i, byte) in name.utf8.prefix(dst.count - 1).enumerated() { dst[i] = byte }
        }
        return ifr
    }

    /// The name in an ifreq.
    static func name(of ifr: ifreq) -> String {
        var ifr = ifr
        return withUnsafeBytes(of: &ifr.ifr_ifrn.ifrn_name) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }

    /// SIOCGIFFLAGS or SIOCGIFMTU on `name` through a throwaway socket.
    /// Returns nil (errno set) on failure.
    static func query(_ name: String, _ request: UInt) -> ifreq? {
        let sock = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard sock >= 0 else { return nil }
        defer { close(sock) }
        var ifr = NetInterface.request(name)
        guard ckvm_ioctl(sock, request, &ifr) == 0 else { return nil }
        return ifr
    }
}

/// MAC addresses: "aa:bb:cc:dd:ee:ff".
enum MAC {
    /// Six colon-separated hex pairs of a unicast address, else nil.
    static func parse(_ text: String) -> [UInt8]? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 6 else { return nil }
        var bytes: [UInt8] = []
        for p in parts {
            guard p.utf8.count == 2, p.utf8.allSatisfy({ isHexDigit($0) }),
                  let b = UInt8(p, radix: 16) else { return nil }
            bytes.append(b)
        }
        guard bytes[0] & 1 == 0 else { return nil }  // multicast bit
        return bytes
    }

    /// A random locally administered unicast address, from /dev/urandom.
    static func random() -> [UInt8]? {
        var bytes = [UInt8](repeating: 0, count: 6)
        let fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress, 6) }
        guard n == 6 else { return nil }
        bytes[0] = (bytes[0] & 0xfe) | 0x02
        return bytes
    }

    static func format(_ mac: [UInt8]) -> String {
        mac.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined(separator: ":")
    }

    private static func isHexDigit(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66)
    }
}

final class NetModule: MonitorModule {
    let name = "net"
    /// Ethernet header; a VLAN tag may add 4 more bytes.
    static let ethernetHeader: UInt64 = 14
    static let vlanTag: UInt64 = 4
    static let defaultMTU: UInt64 = 1500

    struct Attachment: Equatable {
        let name: String
        /// An interface name, or "@N" for an inherited fd.
        let target: String
        let legacy: Bool
    }

    /// An attached device, by handle; fd -1 when none.
    struct Slot {
        var fd: Int32 = -1
        var mtu: UInt64 = 0

        /// The attached device behind a guest-supplied handle, if any.
        static func attached(_ slots: [Slot], _ handle: UInt64) -> Slot? {
            guard handle < UInt64(slots.count) else { return nil }
            let s = slots[Int(handle)]
            return s.fd >= 0 ? s : nil
        }
    }

    private(set) var attachments: [Attachment] = []
    private(set) var macs: [String: [UInt8]] = [:]
    private var slots = [Slot](repeating: Slot(), count: Manifest.maxEntries)
    /// The NETIO state, made once the devices are open.
    private var batch: NetBatch?
    /// The interface checks; replaceable for tests.
    var interfaceExists: (String) -> Bool = NetInterface.exists

    var attachesDevices: Bool { attachments.contains { !$0.legacy } }

    /// NETIO (Net+NETIO.swift) is always on offer.
    var hostFeatures: UInt32 { UInt32(UKVM_HOST_FEATURE_NETIO) }

    var usage: [String] {
        ["--net:NAME=IFACE|@FD       attach network device NAME to tap interface IFACE (existing, up)",
         "                           or to the inherited tap file descriptor FD",
         "--net-mac:NAME=MAC         MAC address of NAME, e.g. 02:00:00:00:00:01 "
            + "(default: random, locally administered)"]
    }

    func handleFlag(_ arg: String) throws(MonitorError) -> Bool {
        if let (name, target) = try DeviceFlag.parse(arg, prefix: "--net:", form: "--net:NAME=IFACE|@FD") {
            guard !attachments.contains(where: { $0.name == name }) else {
                throw .duplicateDevice(name: name, flag: "--net")
            }
            if target.hasPrefix("@") {
                guard let fd = DeviceFlag.decimal(String(target.dropFirst())), fd <= UInt64(Int32.max) else {
                    throw .badValue(flag: "--net:\(name)", value: target, expected: "@FD (file descriptor)")
                }
            } else {
                guard NetInterface.isValidName(target) else {
                    throw .badValue(flag: "--net:\(name)", value: target, expected: "interface name")
                }
            }
            attachments.append(Attachment(name: name, target: target, legacy: false))
            return true
        }
        if let (name, text) = try DeviceFlag.parse(arg, prefix: "--net-mac:", form: "--net-mac:NAME=MAC") {
            guard let mac = MAC.parse(text) else {
                throw .badValue(flag: "--net-mac:\(name)", value: text,
                                expected: "unicast MAC address (six hex pairs, e.g. 02:00:00:00:00:01)")
            }
            guard macs[name] == nil else { throw .duplicateDevice(name: name, flag: "--net-mac") }
            macs[name] = mac
            return true
        }
        return false
    }

    /// Attaches the legacy form's TAP to device `name`.
    func attachLegacy(name: String, tap: String) {
        attachments.append(Attachment(name: name, target: tap, legacy: true))
    }

    func bind(_ manifest: Manifest) throws(MonitorError) -> [Int] {
        try manifest.bind(attachments.map(\.name), as: .netBasic, given: "network",
                          options: Dictionary(uniqueKeysWithValues: macs.keys.map { ($0, "--net-mac:\($0)") }))
    }

    func setup(_ context: ModuleContext) throws(MonitorError) {
        for a in attachments {
            guard let h = context.manifest.handle(of: a.name) else { throw .deviceNotDeclared(name: a.name) }
            let (fd, mtu) = try open(a)
            guard let mac = macs[a.name] ?? MAC.random() else {
                close(fd)
                throw .netDevice(name: a.name, iface: a.target, reason: "cannot read /dev/urandom for a MAC")
            }
            slots[h] = Slot(fd: fd, mtu: mtu)
            context.manifest.entries[h].attached = true
            context.manifest.entries[h].mac = mac
            context.manifest.entries[h].mtu = UInt16(mtu)
            context.manifest.entries[h].hostpriv = UInt64(fd)
            context.pollDevices.append((fd: fd, handle: h))
        }
    }

    /// Opens the tap; returns its fd (non-blocking) and MTU.
    private func open(_ a: Attachment) throws(MonitorError) -> (Int32, UInt64) {
        func fail(_ reason: String) -> MonitorError {
            .netDevice(name: a.name, iface: a.target, reason: reason)
        }
        if a.target.hasPrefix("@") {
            guard let n = DeviceFlag.decimal(String(a.target.dropFirst())), let fd = Int32(exactly: n),
                  fcntl(fd, F_GETFD) >= 0 else {
                throw fail("not an open file descriptor")
            }
            let flags = fcntl(fd, F_GETFL)
            guard flags >= 0, fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0 else {
                throw fail("cannot make it non-blocking: \(errnoText(errno))")
            }
            var ifr = ifreq()
            var mtu = NetModule.defaultMTU
            if ckvm_ioctl(fd, ckvm_TUNGETIFF, &ifr) == 0,
               let m = NetInterface.query(NetInterface.name(of: ifr), ckvm_SIOCGIFMTU) {
                mtu = UInt64(clamping: m.ifr_ifru.ifru_mtu)
            }
            return (fd, try checkedMTU(mtu, fail))
        }
        let iface = a.target
        guard interfaceExists(iface) else { throw fail("no such network interface") }
        guard let flags = NetInterface.query(iface, ckvm_SIOCGIFFLAGS) else {
            throw fail("SIOCGIFFLAGS: \(errnoText(errno))")
        }
        guard Int32(flags.ifr_ifru.ifru_flags) & Int32(IFF_UP) != 0 else {
            throw fail("interface is down")
        }
        let fd = Glibc.open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw fail("/dev/net/tun: \(errnoText(errno))") }
        var ifr = NetInterface.request(iface)
        ifr.ifr_ifru.ifru_flags = Int16(IFF_TAP | IFF_NO_PI)
        guard ckvm_ioctl(fd, ckvm_TUNSETIFF, &ifr) == 0 else {
            let e = errno
            close(fd)
            switch e {
            case EINVAL: throw fail("not a tap interface")
            case EBUSY: throw fail("tap is busy (in use by another process?)")
            default: throw fail("TUNSETIFF: \(errnoText(e))")
            }
        }
        guard let m = NetInterface.query(iface, ckvm_SIOCGIFMTU) else {
            let e = errno
            close(fd)
            throw fail("SIOCGIFMTU: \(errnoText(e))")
        }
        do {
            return (fd, try checkedMTU(UInt64(clamping: m.ifr_ifru.ifru_mtu), fail))
        } catch {
            close(fd)
            throw error
        }
    }

    private func checkedMTU(_ mtu: UInt64, _ fail: (String) -> MonitorError) throws(MonitorError) -> UInt64 {
        guard mtu >= 68, mtu <= UInt64(UInt16.max) - NetModule.ethernetHeader - NetModule.vlanTag else {
            throw fail("unsupported MTU \(mtu)")
        }
        return mtu
    }

    func registerHypercalls(_ table: inout HypercallTable, memory: GuestMemory,
                            context: ModuleContext) throws(MonitorError) {
        try table.register(.netWrite) { [self] gpa throws(MonitorError) in
            var hc = try memory.load(ukvm_hc_net_write.self, gpa: gpa, .guestWritable)
            hc.ret = send(handle: hc.handle, data: hc.data, length: hc.len, memory: memory)
            try memory.store(hc, gpa: gpa, .guestWritable)
            return .resume
        }
        try table.register(.netRead) { [self] gpa throws(MonitorError) in
            var hc = try memory.load(ukvm_hc_net_read.self, gpa: gpa, .guestWritable)
            (hc.ret, hc.len) = receive(handle: hc.handle, data: hc.data, length: hc.len, memory: memory)
            try memory.store(hc, gpa: gpa, .guestWritable)
            return .resume
        }
        let batch = NetBatch(slots: slots, devices: context.deviceWait)
        self.batch = batch
        try table.register(.netio) { gpa throws(MonitorError) in
            var hc = try memory.load(ukvm_hc_netio.self, gpa: gpa, .guestWritable)
            batch.exchange(&hc, memory: memory)
            try memory.store(hc, gpa: gpa, .guestWritable)
            return .resume
        }
    }

    private func slot(_ handle: UInt64) -> Slot? {
        Slot.attached(slots, handle)
    }

    /// Writes one frame to a tap; returns a ukvm_result: AGAIN when the tap
    /// is full, EUNSPEC on any other failure or a short write.
    static func write(fd: Int32, frame: UnsafeRawPointer, length: UInt64) -> Int32 {
        while true {
            let n = Glibc.write(fd, frame, Int(length))
            if n == Int(length) { return Int32(UKVM_OK.rawValue) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 && errno == EAGAIN { return Int32(UKVM_AGAIN.rawValue) }
            return Int32(UKVM_EUNSPEC.rawValue)
        }
    }

    /// NET_WRITE: one frame to the tap.
    private func send(handle: UInt64, data: UInt64, length: UInt64,
                      memory: GuestMemory) -> Int32 {
        guard let s = slot(handle), length > 0,
              length <= s.mtu + NetModule.ethernetHeader + NetModule.vlanTag else {
            return Int32(UKVM_EINVAL.rawValue)
        }
        guard let frame = try? memory.pointer(gpa: data, count: length, .guestReadable) else {
            return Int32(UKVM_EINVAL.rawValue)
        }
        return NetModule.write(fd: s.fd, frame: frame, length: length)
    }

    /// NET_READ: one frame from the tap, or AGAIN; returns (result, frame size).
    private func receive(handle: UInt64, data: UInt64, length: UInt64,
                         memory: GuestMemory) -> (Int32, UInt64) {
        guard let s = slot(handle), length >= s.mtu + NetModule.ethernetHeader else {
            return (Int32(UKVM_EINVAL.rawValue), length)
        }
        guard let buffer = try? memory.pointer(gpa: data, count: length, .guestWritable) else {
            return (Int32(UKVM_EINVAL.rawValue), length)
        }
        while true {
            let n = read(s.fd, buffer, Int(truncatingIfNeeded: length))
            if n > 0 { return (Int32(UKVM_OK.rawValue), UInt64(n)) }
            if n < 0 && errno == EINTR { continue }
            if n == 0 || errno == EAGAIN { return (Int32(UKVM_AGAIN.rawValue), length) }
            return (Int32(UKVM_EUNSPEC.rawValue), length)
        }
    }
}
