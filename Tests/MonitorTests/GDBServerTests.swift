// GDBServerTests.swift: the stub's commands against real guest memory and
// a register file: registers, memory within the guest's bounds only,
// breakpoints hidden from reads, the target description, resuming, and
// malformed and random packets that get error replies and never trap.

import CKVM
import Foundation
import Testing
@testable import Monitor

/// Registers kept in memory: what the server reads and writes of a vCPU.
final class RegisterTarget: DebugTarget {
    var file = RegisterFile()
    func registers() throws(DebugTargetError) -> RegisterFile { file }
    func setRegisters(_ f: RegisterFile) throws(DebugTargetError) { file = f }
}

@Suite struct GDBServerTests {
    let memory: GuestMemory
    let debugMemory: DebugMemory
    let target = RegisterTarget()
    let server: GDBServer
    let code: UInt64 = 0x100000

    init() throws {
        memory = try GuestMemory(size: 8 << 20)
        debugMemory = DebugMemory(memory)
        server = GDBServer(target: target, memory: debugMemory)
        try [UInt8](0x90...0x9f).withUnsafeBytes { try memory.copy($0, to: code) }
    }

    func ask(_ text: String) -> GDBResult { server.handle(Array(text.utf8)) }

    func text(_ text: String) -> String? {
        guard case .reply(let r) = ask(text) else { return nil }
        return String(decoding: r, as: UTF8.self)
    }

    @Test func handshake() {
        let supported = text("qSupported:multiprocess+;swbreak+;hwbreak+;xmlRegisters=i386")
        #expect(supported == "PacketSize=4000;QStartNoAckMode+;qXfer:features:read+;swbreak+")
        #expect(!server.noAck)
        #expect(text("QStartNoAckMode") == "OK")
        #expect(server.noAck)
        #expect(text("?") == "T05thread:1;")
        #expect(text("qAttached") == "1")
        #expect(text("qC") == "QC1")
        #expect(text("qfThreadInfo") == "m1")
        #expect(text("qsThreadInfo") == "l")
        #expect(text("Hg0") == "OK")
        #expect(text("vMustReplyEmpty") == "")
        #expect(text("qTStatus") == "")
        #expect(text("vCont?") == "vCont;c;C;s;S")
    }

    @Test func registers() throws {
        target.file.regs.rax = 0x1122_3344_5566_7788
        target.file.regs.rip = 0x100010
        target.file.regs.rflags = 0x3002
        target.file.sregs.cs.selector = 0x1b
        target.file.sregs.fs.base = 0xabc000
        target.file.sregs.cr3 = 0x2000
        let g = try #require(text("g"))
        #expect(g.count == GDBRegisters.totalBytes * 2)
        #expect(g.hasPrefix("8877665544332211"))
        let rip = try #require(GDBRegisters.all.firstIndex { $0.name == "rip" })
        #expect(text("p\(String(rip, radix: 16))") == "1000100000000000")
        let eflags = try #require(GDBRegisters.all.firstIndex { $0.name == "eflags" })
        #expect(text("p\(String(eflags, radix: 16))") == "02300000")
        let fsBase = try #require(GDBRegisters.all.firstIndex { $0.name == "fs_base" })
        #expect(text("p\(String(fsBase, radix: 16))") == "00c0ab0000000000")

        // Writable: rax; read-only: cs and cr3 (unless unchanged).
        #expect(text("P0=efbeadde00000000") == "OK")
        #expect(target.file.regs.rax == 0xdead_beef)
        let cs = try #require(GDBRegisters.all.firstIndex { $0.name == "cs" })
        #expect(text("P\(String(cs, radix: 16))=08000000") == "E16")
        #expect(text("P\(String(cs, radix: 16))=1b000000") == "OK")
        let cr3 = try #require(GDBRegisters.all.firstIndex { $0.name == "cr3" })
        #expect(text("P\(String(cr3, radix: 16))=0030000000000000") == "E16")
        #expect(target.file.sregs.cr3 == 0x2000)
        #expect(text("P\(String(fsBase, radix: 16))=0000100000000000") == "OK")
        #expect(target.file.sregs.fs.base == 0x10_0000)
        // Wrong sizes, unknown registers.
        #expect(text("P0=00") == "E16")
        #expect(text("p\(String(GDBRegisters.all.count, radix: 16))") == "E16")

        // G: all or nothing.
        let all = try #require(text("g"))
        #expect(text("G" + all) == "OK")
        var changed = Array(all.utf8)
        let csOffset = GDBRegisters.all[..<cs].reduce(0) { $0 + $1.bytes } * 2
        changed[csOffset] = UInt8(ascii: "0")
        changed[csOffset + 1] = UInt8(ascii: "8")
        target.file.regs.rbx = 5
        changed[16] = UInt8(ascii: "7")   // rbx's low byte in the packet
        #expect(text("G" + String(decoding: changed, as: UTF8.self)) == "E16")
        #expect(target.file.regs.rbx == 5)
        #expect(text("G00") == "E16")
    }

    @Test func x87TagWord() {
        var fpu = kvm_fpu()
        #expect(GDBRegisters.fullTag(fpu) == 0xffff)       // all empty
        fpu.ftwx = 0x01
        #expect(GDBRegisters.fullTag(fpu) == 0xfffd)       // st0 = +0.0: zero
        withUnsafeMutableBytes(of: &fpu.fpr) { $0[7] = 0x80; $0[8] = 0xff; $0[9] = 0x3f }   // 1.0
        #expect(GDBRegisters.fullTag(fpu) == 0xfffc)       // valid
        #expect(GDBRegisters.abridgedTag(0xfffc) == 0x01)
        #expect(GDBRegisters.abridgedTag(0x0000) == 0xff)
    }

    @Test func memoryWithinTheGuestOnly() throws {
        #expect(text("m100000,4") == "90919293")
        // Reads stop where memory does; nothing readable at all is an error.
        #expect(text("m\(String(memory.size - 2, radix: 16)),10") == "0000")
        #expect(text("m\(String(memory.size, radix: 16)),1") == "E0e")
        #expect(text("m0,4") == "E0e")                       // the NULL guard
        #expect(text("mfff0,20") == "E0e")                   // the monitor's pages
        #expect(text("mffffffffffffffff,ffffffffffffffff") == "E0e")
        // A long read gets one reply's worth.
        #expect(text("m100000,ffffffff")?.count == GDBServer.maxRead * 2)
        #expect(text("m100000,0") == "")

        #expect(text("M100002,2:aabb") == "OK")
        #expect(text("m100000,4") == "9091aabb")
        #expect(text("M10000,1:00") == "E0e")                // boot info: the guest cannot write it
        #expect(text("M\(String(memory.size - 1, radix: 16)),2:0000") == "E0e")
        #expect(text("M100000,2:00") == "E01")               // length and data disagree
        #expect(text("M100000,1:zz") == "E01")
        // X: binary, escaped.
        #expect(server.handle(Array("X100004,2:".utf8) + [0x7d, 0x03, 0x41]) == GDBServer.ok)
        #expect(text("m100004,2") == "2341")
        #expect(text("X100000,0:") == "OK")                  // gdb's probe
        #expect(server.handle(Array("X100000,1:".utf8) + [0x7d]) == GDBServer.malformed)
    }

    @Test func breakpoints() throws {
        #expect(text("Z0,100001,1") == "OK")
        #expect(text("Z0,100001,1") == "OK")                 // again: no change
        #expect(try memory.load(UInt8.self, gpa: code + 1) == 0xcc)
        #expect(text("m100000,3") == "909192")               // reads show the guest's byte
        #expect(debugMemory.isBreakpoint(code + 1))
        // A write over a breakpoint keeps the int3 and changes what comes back.
        #expect(text("M100001,1:55") == "OK")
        #expect(try memory.load(UInt8.self, gpa: code + 1) == 0xcc)
        #expect(text("z0,100001,1") == "OK")
        #expect(try memory.load(UInt8.self, gpa: code + 1) == 0x55)
        #expect(text("z0,100001,1") == "OK")                 // removing twice is fine
        // Outside what the guest can write; other kinds are not supported.
        #expect(text("Z0,0,1") == "E0e")
        #expect(text("Z0,10000,1") == "E0e")
        #expect(text("Z0,ffffffffffffffff,1") == "E0e")
        #expect(text("Z1,100000,1") == "")
        #expect(text("Z2,100000,4") == "")
        #expect(text("Z0,100000") == "E01")
        // The guest overwrote a breakpoint: removing it keeps the guest's byte.
        #expect(text("Z0,100002,1") == "OK")
        try memory.store(UInt8(0x66), gpa: code + 2)
        #expect(text("z0,100002,1") == "OK")
        #expect(try memory.load(UInt8.self, gpa: code + 2) == 0x66)
        // Detach's clean-up.
        #expect(text("Z0,100003,1") == "OK" && text("Z0,100004,1") == "OK")
        debugMemory.removeAllBreakpoints()
        #expect(text("m100003,2") == "9394" && !debugMemory.hasBreakpoints)
        #expect(try memory.load(UInt16.self, gpa: code + 3) == 0x9493)
    }

    @Test func tooManyBreakpoints() {
        for i in 0..<DebugMemory.maxBreakpoints {
            #expect(text("Z0,\(String(0x100000 + i, radix: 16)),1") == "OK")
        }
        #expect(text("Z0,\(String(0x100000 + DebugMemory.maxBreakpoints, radix: 16)),1") == "E16")
        debugMemory.removeAllBreakpoints()
        #expect(text("m100000,2") == "9091")
    }

    @Test func targetDescription() throws {
        var xml: [UInt8] = []
        var offset = 0
        while true {
            guard case .reply(let r) = ask("qXfer:features:read:target.xml:\(String(offset, radix: 16)),100")
            else { Issue.record("no reply"); return }
            let data = try #require(GDBPacket.unescape(r.dropFirst()))
            xml += data
            offset += data.count
            if r.first == UInt8(ascii: "l") { break }
            #expect(r.first == UInt8(ascii: "m"))
        }
        #expect(xml == GDBTargetDescription.xml)
        let doc = String(decoding: xml, as: UTF8.self)
        #expect(doc.contains("<architecture>i386:x86-64</architecture>"))
        for feature in ["org.gnu.gdb.i386.core", "org.gnu.gdb.i386.sse", "org.gnu.gdb.i386.segments"] {
            #expect(doc.contains("<feature name=\"\(feature)\">"))
        }
        #expect(doc.components(separatedBy: "<reg ").count - 1 == GDBRegisters.all.count)
        #expect(doc.contains("<reg name=\"fs_base\" bitsize=\"64\""))
        #expect(doc.contains("<reg name=\"cr3\" bitsize=\"64\""))
        #expect(text("qXfer:features:read:target.xml:ffffff,10") == "l")
        #expect(text("qXfer:features:read:other.xml:0,10") == "E00")
        #expect(text("qXfer:features:read:target.xml") == "E01")
    }

    /// The general registers come in the order gdb's amd64 core feature
    /// has them, at the sizes it expects.
    @Test func registerLayout() {
        let names = GDBRegisters.all.prefix(24).map(\.name)
        #expect(names == ["rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "r8", "r9", "r10", "r11",
                          "r12", "r13", "r14", "r15", "rip", "eflags", "cs", "ss", "ds", "es", "fs", "gs"])
        #expect(GDBRegisters.all.prefix(17).allSatisfy { $0.bits == 64 })
        #expect(GDBRegisters.all[17...23].allSatisfy { $0.bits == 32 })
        #expect(GDBRegisters.all.filter { $0.name.hasPrefix("st") }.allSatisfy { $0.bits == 80 })
    }

    @Test func resuming() {
        #expect(ask("c") == .resume(GDBResume()))
        #expect(ask("s") == .resume(GDBResume(step: true)))
        #expect(ask("c100010") == .resume(GDBResume(address: 0x100010)))
        #expect(ask("C0b") == .resume(GDBResume(signal: 11)))
        #expect(ask("S05;100000") == .resume(GDBResume(step: true, signal: 5, address: 0x100000)))
        #expect(ask("vCont;c") == .resume(GDBResume()))
        #expect(ask("vCont;s:1;c") == .resume(GDBResume(step: true)))
        #expect(ask("vCont;s:p1.1;c") == .resume(GDBResume(step: true)))
        #expect(ask("vCont;s:2;c") == .resume(GDBResume()))     // another thread's action
        #expect(ask("vCont;C04:-1") == .resume(GDBResume(signal: 4)))
        #expect(ask("vCont;s:2") == GDBServer.invalid)
        #expect(ask("vCont;t") == GDBServer.invalid)
        #expect(ask("vCont;C") == GDBServer.malformed)
        #expect(ask("D") == .detach)
        #expect(ask("D;1") == .detach)
        #expect(ask("k") == .kill(answer: false))
        #expect(ask("vKill;1") == .kill(answer: true))
    }

    @Test func malformedPackets() {
        for p in ["m", "M", "X", "mgg,1", "m100000,", "m,", "m100000", "C", "Cz", "S0", "c zz",
                  "P", "P0=", "P0=zz", "G0", "Z0", "z0,", "Z0,zz,1", "M100000,1", "X100000,1"] {
            guard case .reply(let r) = ask(p) else {
                Issue.record("\(p): not a reply")
                continue
            }
            #expect(r.first == UInt8(ascii: "E"), "\(p) -> \(String(decoding: r, as: UTF8.self))")
        }
        for p in ["", "q", "Q", "v", "!", "qRcmd,6869", "vFile:open:", "Z9,1,1", "QNonStop:1", "x"] {
            #expect(ask(p) == GDBServer.empty, "\(p)")
        }
    }

    /// 5000 seeded random payloads: each gets a result, and the guest's
    /// memory outside what writes may touch is unchanged.
    @Test func randomPackets() throws {
        var random = SplitMix(seed: 0x7374_7562)
        let alphabet = Array("mMXZzpPgGcsCSvqQH?0123456789abcdef,:;=}*#$-".utf8) + [0x00, 0xff, 0x03]
        let guardBytes = Array(try memory.buffer(gpa: 0, count: 0x100000))
        for _ in 0..<5000 {
            let n = Int(random.next() % 48)
            let payload = (0..<n).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] }
            _ = server.handle(payload)
        }
        debugMemory.removeAllBreakpoints()
        #expect(Array(try memory.buffer(gpa: 0, count: 0x100000)) == guardBytes)
    }
}
