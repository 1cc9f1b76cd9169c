// GDBServer.swift: the commands of gdb's remote serial protocol that the
// stub serves, one packet in, one result out. It touches the guest only
// through a DebugTarget (registers) and DebugMemory (memory and
// breakpoints); the session (DebugSession.swift) does the I/O and runs or
// stops the vCPU.
//
// One vCPU, shown to gdb as thread 1 of an attached process; all-stop mode.
// Served: ? g G p P m M X Z0 z0 c C s S vCont D k vKill H T, qSupported,
// QStartNoAckMode, qXfer:features:read (the target description), qAttached,
// qC, qfThreadInfo/qsThreadInfo, qSymbol. Everything else gets the empty
// reply, which tells gdb the packet is not supported; a malformed packet
// gets an error reply (E01 malformed, E0e memory, E16 invalid value).

/// The registers of the stopped vCPU.
protocol DebugTarget: AnyObject {
    func registers() throws(DebugTargetError) -> RegisterFile
    func setRegisters(_ file: RegisterFile) throws(DebugTargetError)
}

/// A register access the vCPU refused (a failed KVM ioctl).
struct DebugTargetError: Error {
    let reason: String
}

/// Signal numbers as gdb's protocol spells them (gdb's own numbering, the
/// same on every host), and the host's for core files.
enum GDBSignal: UInt8 {
    case hup = 1, int = 2, ill = 4, trap = 5, abrt = 6, fpe = 8, kill = 9, bus = 10, segv = 11, term = 15
}

/// Why the guest is stopped, or how it ended, as gdb hears it.
enum GDBStop: Equatable {
    /// Stopped by `signal`; `breakpoint`: at one of gdb's breakpoints, the
    /// pc already on it (swbreak).
    case stopped(GDBSignal, breakpoint: Bool = false)
    /// The guest ended with this status.
    case exited(UInt8)
    /// The guest was ended with this signal.
    case terminated(GDBSignal)

    var reply: [UInt8] {
        switch self {
        case .stopped(let s, let bp):
            return Array(("T" + GDBServer.hex2(s.rawValue) + "thread:1;" + (bp ? "swbreak:;" : "")).utf8)
        case .exited(let status):
            return Array(("W" + GDBServer.hex2(status)).utf8)
        case .terminated(let s):
            return Array(("X" + GDBServer.hex2(s.rawValue)).utf8)
        }
    }
}

/// How gdb asks the guest to run on.
struct GDBResume: Equatable {
    var step = false
    /// C/S: the signal gdb passes to the guest (see DebugSession).
    var signal: UInt8?
    /// c/s ADDR: resume at ADDR.
    var address: UInt64?
}

/// What to do with a packet.
enum GDBResult: Equatable {
    /// Send this payload (already escaped) and wait for the next packet.
    case reply([UInt8])
    /// Run the guest; the next stop answers the packet.
    case resume(GDBResume)
    /// Answer OK, end the session, let the guest run on.
    case detach
    /// End the guest (answering OK first for vKill).
    case kill(answer: Bool)
}

final class GDBServer {
    /// The largest packet we accept, as qSupported announces it.
    static let packetSize = 0x4000
    /// The most bytes one `m` reply carries (two hex digits each).
    static let maxRead = (packetSize - 16) / 2
    /// The largest chunk of the target description per reply (escaping
    /// may double it).
    static let maxXferChunk = (packetSize - 16) / 2

    static let ok = reply("OK")
    static let empty = GDBResult.reply([])
    static let malformed = reply("E01")
    static let memoryError = reply("E0e")
    static let invalid = reply("E16")

    let target: DebugTarget
    let memory: DebugMemory
    /// Acknowledgements dropped (QStartNoAckMode answered).
    private(set) var noAck = false
    /// What `?` answers.
    var lastStop = GDBStop.stopped(.trap)

    init(target: DebugTarget, memory: DebugMemory) {
        self.target = target
        self.memory = memory
    }

    static func reply(_ text: String) -> GDBResult { .reply(Array(text.utf8)) }

    static func hex2(_ v: UInt8) -> String {
        String(UnicodeScalar(GDBHex.digits[Int(v >> 4)])) + String(UnicodeScalar(GDBHex.digits[Int(v & 0xf)]))
    }

    /// The result of one packet's payload.
    func handle(_ packet: [UInt8]) -> GDBResult {
        guard let command = packet.first else { return GDBServer.empty }
        let body = packet.dropFirst()
        switch command {
        case UInt8(ascii: "?"): return .reply(lastStop.reply)
        case UInt8(ascii: "g"): return readRegisters()
        case UInt8(ascii: "G"): return writeRegisters(body)
        case UInt8(ascii: "p"): return readRegister(body)
        case UInt8(ascii: "P"): return writeRegister(body)
        case UInt8(ascii: "m"): return readMemory(body)
        case UInt8(ascii: "M"): return writeMemory(body, binary: false)
        case UInt8(ascii: "X"): return writeMemory(body, binary: true)
        case UInt8(ascii: "Z"): return breakpoint(body, insert: true)
        case UInt8(ascii: "z"): return breakpoint(body, insert: false)
        case UInt8(ascii: "c"), UInt8(ascii: "s"):
            return resume(step: command == UInt8(ascii: "s"), signal: nil, address: body)
        case UInt8(ascii: "C"), UInt8(ascii: "S"):
            return resumeWithSignal(step: command == UInt8(ascii: "S"), body)
        case UInt8(ascii: "v"): return vPacket(body)
        case UInt8(ascii: "q"): return query(body)
        case UInt8(ascii: "Q"): return setting(body)
        case UInt8(ascii: "H"), UInt8(ascii: "T"): return GDBServer.ok   // thread 1 is all there is
        case UInt8(ascii: "D"): return .detach
        case UInt8(ascii: "k"): return .kill(answer: false)
        default: return GDBServer.empty
        }
    }

    // MARK: Registers

    private func readRegisters() -> GDBResult {
        guard let file = try? target.registers() else { return GDBServer.invalid }
        return .reply(GDBHex.encode(GDBRegisters.readAll(from: file)))
    }

    private func writeRegisters(_ body: ArraySlice<UInt8>) -> GDBResult {
        guard let bytes = GDBHex.bytes(body) else { return GDBServer.malformed }
        guard var file = try? target.registers() else { return GDBServer.invalid }
        do throws(RegisterError) {
            try GDBRegisters.writeAll(bytes, to: &file)
        } catch {
            return GDBServer.invalid
        }
        return (try? target.setRegisters(file)) != nil ? GDBServer.ok : GDBServer.invalid
    }

    private func readRegister(_ body: ArraySlice<UInt8>) -> GDBResult {
        guard let n = GDBHex.number(body), n < UInt64(GDBRegisters.all.count) else { return GDBServer.invalid }
        guard let file = try? target.registers(),
              let bytes = try? GDBRegisters.read(Int(n), from: file) else { return GDBServer.invalid }
        return .reply(GDBHex.encode(bytes))
    }

    private func writeRegister(_ body: ArraySlice<UInt8>) -> GDBResult {
        guard let eq = body.firstIndex(of: UInt8(ascii: "=")),
              let n = GDBHex.number(body[body.startIndex..<eq]),
              let bytes = GDBHex.bytes(body[(eq + 1)...]) else { return GDBServer.malformed }
        guard n < UInt64(GDBRegisters.all.count), var file = try? target.registers() else { return GDBServer.invalid }
        do throws(RegisterError) {
            try GDBRegisters.write(Int(n), bytes, to: &file)
        } catch {
            return GDBServer.invalid
        }
        return (try? target.setRegisters(file)) != nil ? GDBServer.ok : GDBServer.invalid
    }

    // MARK: Memory

    /// "ADDR,LENGTH" of m, M, X and Z: both hex, each at most 16 digits.
    static func addressAndLength(_ text: ArraySlice<UInt8>) -> (UInt64, UInt64)? {
        guard let comma = text.firstIndex(of: UInt8(ascii: ",")),
              let address = GDBHex.number(text[text.startIndex..<comma]),
              let length = GDBHex.number(text[(comma + 1)...]) else { return nil }
        return (address, length)
    }

    private func readMemory(_ body: ArraySlice<UInt8>) -> GDBResult {
        guard let (address, length) = GDBServer.addressAndLength(body) else { return GDBServer.malformed }
        if length == 0 { return GDBServer.empty }
        // A long read gets what fits in one reply; gdb asks again for the rest.
        guard let bytes = memory.read(address, count: Int(min(length, UInt64(GDBServer.maxRead)))) else {
            return GDBServer.memoryError
        }
        return .reply(GDBHex.encode(bytes))
    }

    private func writeMemory(_ body: ArraySlice<UInt8>, binary: Bool) -> GDBResult {
        guard let colon = body.firstIndex(of: UInt8(ascii: ":")),
              let (address, length) = GDBServer.addressAndLength(body[body.startIndex..<colon]) else {
            return GDBServer.malformed
        }
        let data = body[(colon + 1)...]
        guard let bytes = binary ? GDBPacket.unescape(data) : GDBHex.bytes(data),
              UInt64(bytes.count) == length else { return GDBServer.malformed }
        if bytes.isEmpty { return GDBServer.ok }    // gdb's probe for X
        do throws(DebugMemory.Failure) {
            try memory.write(bytes, at: address)
        } catch {
            return GDBServer.memoryError
        }
        return GDBServer.ok
    }

    /// Z0/z0 ADDR,KIND: software breakpoints; other types are not supported.
    private func breakpoint(_ body: ArraySlice<UInt8>, insert: Bool) -> GDBResult {
        guard body.first == UInt8(ascii: "0") else { return GDBServer.empty }
        guard body.dropFirst().first == UInt8(ascii: ","),
              let (address, _) = GDBServer.addressAndLength(body.dropFirst(2).prefix { $0 != UInt8(ascii: ";") })
        else { return GDBServer.malformed }
        guard insert else {
            memory.removeBreakpoint(address)
            return GDBServer.ok
        }
        do throws(DebugMemory.Failure) {
            try memory.insertBreakpoint(address)
        } catch {
            return error == .outside ? GDBServer.memoryError : GDBServer.invalid
        }
        return GDBServer.ok
    }

    // MARK: Running

    private func resume(step: Bool, signal: UInt8?, address: ArraySlice<UInt8>) -> GDBResult {
        var r = GDBResume(step: step, signal: signal)
        if !address.isEmpty {
            guard let a = GDBHex.number(address) else { return GDBServer.malformed }
            r.address = a
        }
        return .resume(r)
    }

    /// "SIG[;ADDR]" of C and S.
    private func resumeWithSignal(step: Bool, _ body: ArraySlice<UInt8>) -> GDBResult {
        let parts = body.split(separator: UInt8(ascii: ";"), maxSplits: 1, omittingEmptySubsequences: false)
        guard let first = parts.first, first.count == 2, let signal = GDBHex.number(first) else {
            return GDBServer.malformed
        }
        return resume(step: step, signal: UInt8(signal), address: parts.count > 1 ? parts[1] : [])
    }

    private func vPacket(_ body: ArraySlice<UInt8>) -> GDBResult {
        let text = String(decoding: body, as: UTF8.self)
        if text == "Cont?" { return GDBServer.reply("vCont;c;C;s;S") }
        if text.hasPrefix("Cont;") { return vCont(body.dropFirst(5)) }
        if text.hasPrefix("Kill") { return .kill(answer: true) }
        return GDBServer.empty
    }

    /// vCont;ACTION[:THREAD]...: the first action that applies to thread 1.
    private func vCont(_ actions: ArraySlice<UInt8>) -> GDBResult {
        for action in actions.split(separator: UInt8(ascii: ";"), omittingEmptySubsequences: false) {
            let parts = action.split(separator: UInt8(ascii: ":"), maxSplits: 1, omittingEmptySubsequences: false)
            guard let verb = parts.first, let kind = verb.first else { return GDBServer.malformed }
            if parts.count > 1 && !GDBServer.isOurThread(parts[1]) { continue }
            switch kind {
            case UInt8(ascii: "c"), UInt8(ascii: "s"):
                guard verb.count == 1 else { return GDBServer.malformed }
                return .resume(GDBResume(step: kind == UInt8(ascii: "s")))
            case UInt8(ascii: "C"), UInt8(ascii: "S"):
                guard verb.count == 3, let signal = GDBHex.number(verb.dropFirst()) else { return GDBServer.malformed }
                return .resume(GDBResume(step: kind == UInt8(ascii: "S"), signal: UInt8(signal)))
            default:
                return GDBServer.invalid    // t, r: not offered by vCont?
            }
        }
        return GDBServer.invalid
    }

    /// Whether a thread id names thread 1 or all threads: "1", "-1", "0",
    /// or "pPID.TID" with TID one of those.
    static func isOurThread(_ id: ArraySlice<UInt8>) -> Bool {
        var tid = id
        if tid.first == UInt8(ascii: "p") {
            guard let dot = tid.firstIndex(of: UInt8(ascii: ".")) else { return true }  // all of a process
            tid = tid[(dot + 1)...]
        }
        let text = String(decoding: tid, as: UTF8.self)
        return text == "1" || text == "-1" || text == "0"
    }

    private func query(_ body: ArraySlice<UInt8>) -> GDBResult {
        let text = String(decoding: body, as: UTF8.self)
        if text.hasPrefix("Supported") {
            return GDBServer.reply("PacketSize=\(String(GDBServer.packetSize, radix: 16));"
                + "QStartNoAckMode+;qXfer:features:read+;swbreak+")
        }
        if text.hasPrefix("Xfer:features:read:") { return targetDescription(body.dropFirst(19)) }
        switch text {
        case "Attached": return GDBServer.reply("1")
        case "C": return GDBServer.reply("QC1")
        case "fThreadInfo": return GDBServer.reply("m1")
        case "sThreadInfo": return GDBServer.reply("l")
        case "Symbol::": return GDBServer.ok
        default: return GDBServer.empty
        }
    }

    private func setting(_ body: ArraySlice<UInt8>) -> GDBResult {
        guard String(decoding: body, as: UTF8.self) == "StartNoAckMode" else { return GDBServer.empty }
        noAck = true
        return GDBServer.ok
    }

    /// qXfer:features:read:ANNEX:OFFSET,LENGTH: `m` and a chunk when more
    /// follows, `l` and the last one.
    private func targetDescription(_ body: ArraySlice<UInt8>) -> GDBResult {
        guard let colon = body.firstIndex(of: UInt8(ascii: ":")),
              let (offset, length) = GDBServer.addressAndLength(body[(colon + 1)...]) else {
            return GDBServer.malformed
        }
        guard String(decoding: body[body.startIndex..<colon], as: UTF8.self) == GDBTargetDescription.annex else {
            return GDBServer.reply("E00")
        }
        let xml = GDBTargetDescription.xml
        guard offset < UInt64(xml.count) else { return GDBServer.reply("l") }
        let start = Int(offset)
        let end = start + Int(min(length, UInt64(GDBServer.maxXferChunk), UInt64(xml.count - start)))
        return .reply([UInt8(ascii: end < xml.count ? "m" : "l")] + GDBPacket.escape(xml[start..<end]))
    }
}
