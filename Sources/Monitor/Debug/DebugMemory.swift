// DebugMemory.swift: guest memory as the debugger sees it, and its
// software breakpoints.
//
// Addresses are guest-virtual, which is guest-physical here (the guest is
// identity mapped), and every access goes through GuestMemory's bounds
// checks with the hypercalls' rules: the debugger reads what the guest can
// read (from UKVM_GUARD_END) and writes what the guest can write (from
// UKVM_KERNEL_BASE, its text included). Anything else is refused; no
// address a peer sends ever reaches host memory outside the guest's.
//
// A breakpoint is an int3 byte written over the guest's code, the original
// byte kept. Reads show the original bytes, writes over a breakpoint change
// the kept byte, and removing one puts the original back, unless the guest
// has since written that byte itself.

final class DebugMemory {
    static let int3: UInt8 = 0xcc
    /// Breakpoints at once: enough for any session, bounded against a peer
    /// that inserts them forever.
    static let maxBreakpoints = 4096

    enum Failure: Error, Equatable {
        case outside
        case tooManyBreakpoints
    }

    let memory: GuestMemory
    /// Address -> the guest's byte under the int3.
    private(set) var breakpoints: [UInt64: UInt8] = [:]

    init(_ memory: GuestMemory) {
        self.memory = memory
    }

    /// Up to `count` bytes from `address`: fewer when memory ends first;
    /// nil when not even the first byte is readable.
    func read(_ address: UInt64, count: Int) -> [UInt8]? {
        guard memory.contains(gpa: address, count: 1, .guestReadable) else { return nil }
        let n = min(UInt64(count), memory.size - address)
        guard let buffer = try? memory.buffer(gpa: address, count: n, .guestReadable) else { return nil }
        var bytes = Array(buffer)
        if !breakpoints.isEmpty {
            for (a, original) in breakpoints where a >= address && a - address < n {
                bytes[Int(a - address)] = original
            }
        }
        return bytes
    }

    /// Writes `bytes` at `address`, all or nothing.
    func write(_ bytes: [UInt8], at address: UInt64) throws(Failure) {
        guard let buffer = try? memory.buffer(gpa: address, count: UInt64(bytes.count), .guestWritable) else {
            throw .outside
        }
        for (i, b) in bytes.enumerated() {
            let a = address + UInt64(i)
            if breakpoints[a] != nil {
                breakpoints[a] = b      // stays an int3 until removed
            } else {
                buffer[i] = b
            }
        }
    }

    var hasBreakpoints: Bool { !breakpoints.isEmpty }

    func isBreakpoint(_ address: UInt64) -> Bool { breakpoints[address] != nil }

    /// Puts an int3 at `address` (again: no change).
    func insertBreakpoint(_ address: UInt64) throws(Failure) {
        guard breakpoints[address] == nil else { return }
        guard breakpoints.count < DebugMemory.maxBreakpoints else { throw .tooManyBreakpoints }
        guard let p = try? memory.pointer(gpa: address, count: 1, .guestWritable) else { throw .outside }
        breakpoints[address] = p.load(as: UInt8.self)
        p.storeBytes(of: DebugMemory.int3, as: UInt8.self)
    }

    /// Takes the int3 at `address` away (none there: no change).
    func removeBreakpoint(_ address: UInt64) {
        guard let original = breakpoints.removeValue(forKey: address),
              let p = try? memory.pointer(gpa: address, count: 1, .guestWritable) else { return }
        if p.load(as: UInt8.self) == DebugMemory.int3 { p.storeBytes(of: original, as: UInt8.self) }
    }

    /// Every breakpoint removed: the guest's code as it was.
    func removeAllBreakpoints() {
        for a in Array(breakpoints.keys) { removeBreakpoint(a) }
    }
}
