// FuzzImage.swift: the image loader as a guest's image meets it: the ELF
// headers, program headers, notes (ABI, manifest, CPL3) and the W^X
// protection from the segments; then, for an image that passes, everything
// the launcher does with it before KVM: loading it, the page tables and
// GDT of its entry state, the boot info with the manifest copy. Properties
// checked besides "no crash": the manifest the guest gets back reads as the
// one in the image, and the protection keeps code and data apart.

import CKVM
import Glibc
import Image
import Support

struct FuzzImage: FuzzTarget {
    /// Guest memory for the images that fit, made once: loading zeroes what
    /// an image's segments cover, the page tables the low pages.
    static let memorySize: UInt64 = 8 << 20
    static let memory: GuestMemory = try! GuestMemory(size: memorySize)

    func run(_ input: UnsafeRawBufferPointer) {
        let bytes = Array(input)
        // As the monitor checks it for the smallest and the default memory.
        _ = try? ELF.parse(bytes, memorySize: 2 << 20)
        guard let image = try? ELF.parse(bytes, memorySize: FuzzImage.memorySize) else { return }
        check(image)
        let m = FuzzImage.memory
        do {
            try image.load(into: m)
            try EntryState.buildMemory(m, cpl3: image.cpl3, protection: image.protection, nx: true)
            var info = ukvm_boot_info()
            info.mem_size = m.size
            info.kernel_end = image.kernelEnd
            let layout = try BootInfo.write(info, to: m, manifest: image.manifest, commandLine: Array("fuzz".utf8))
            roundTrip(image.manifest, at: layout.manifest, in: m)
        } catch {
            // A valid image that cannot be set up (page tables: too many
            // regions) is refused, not a crash.
        }
    }

    /// Protection ranges are sorted, disjoint, page-aligned and never both
    /// writable and executable; the access of every segment's pages agrees.
    private func check(_ image: ELFImage) {
        var end: UInt64 = 0
        for r in image.protection.ranges {
            precondition(r.start >= end && r.start < r.end && r.start % 4096 == 0 && r.end % 4096 == 0)
            end = r.end
        }
        for s in image.segments where s.isWritable {
            // A writable segment's own pages (not shared with another) stay writable.
            let first = (s.vaddr + 4095) & ~4095, last = s.end & ~4095
            if first < last { precondition(image.protection.access(first) == .readWrite) }
        }
    }

    /// The manifest copy the guest reads parses back to the same devices.
    private func roundTrip(_ manifest: Manifest, at gpa: UInt64, in m: GuestMemory) {
        guard let copy = try? m.buffer(gpa: gpa, count: UInt64(manifest.byteSize)) else { preconditionFailure() }
        let note = [UInt8](repeating: 0, count: Int(Manifest.notePadding)) + Array(copy)
        let again = try? Manifest.parse(ByteReader(bytes: note), offset: 0, size: UInt64(note.count))
        precondition(again.map { $0.entries.map(\.name) } == manifest.entries.map(\.name),
                     "the manifest copy does not read back")
    }

    /// Images the project builds: every kind of image the monitor runs.
    func seeds() -> [(name: String, bytes: [UInt8])] {
        let dir = getenv("UKVM_FUZZ_IMAGES").map { String(cString: $0) } ?? "build/ukvm"
        return ["hello", "net2", "blk", "wx", "hello-cpl0", "net-cpl0"].compactMap { name in
            guard let bytes = try? ELF.readFile(Argument("\(dir)/\(name).ukvm")) else { return nil }
            return (name, bytes)
        }
    }
}
