// SupportedCPUIDCacheTests.swift: the supported-CPUID cache in the KVM
// layer, on a real VM: what it writes is KVM's answer byte for byte, what
// it reads back is that answer, and a file for another key or cut short is
// a miss. (Hostile files on real monitor runs: UkvmCPUIDCacheTests.)

import CKVM
import Foundation
@testable import KVM
import TestSupport
import Testing

@Suite(.enabled(if: kvmUnavailable == nil, "needs /dev/kvm"))
struct SupportedCPUIDCacheTests {
    @Test func writesKVMsAnswerAndReadsItBack() throws {
        let dir = TempDirectory(name: "cpuid")
        let cache = try #require(SupportedCPUIDCache(directory: Array(dir.path.utf8)))
        let kvm = try KVM()
        // KVM's answer, with vCPU 0's APIC ID where KVM put the asking CPU's.
        let fresh = try kvm.supportedCPUID().forVCPU(apicID: 0)
        let key = try #require(SupportedCPUIDCacheKey.current(kvmFD: kvm.fd))
        #expect(key.bytes.count == SupportedCPUIDCacheKey.size)
        #expect(cache.load(key: key) == nil)

        // A vCPU's set-up writes the file: its entries are KVM's answer.
        let vcpu = try kvm.createVM().createVCPU(id: 0)
        let missed = try vcpu.setSupportedCPUID(cache: cache)
        let file = try [UInt8](Data(contentsOf: URL(fileURLWithPath: dir.path + "/supported-cpuid")))
        #expect(file.count == SupportedCPUIDCache.headerSize + fresh.bytes.count)
        #expect(Array(file.suffix(fresh.bytes.count)) == fresh.bytes)
        #expect(cache.load(key: key) == fresh)

        // The next vCPU takes it from the file, and sees the same features.
        let hit = try kvm.createVM().createVCPU(id: 0).setSupportedCPUID(cache: cache)
        #expect(hit == missed)
        #expect(hit == VCPU.Features(fresh))
    }

    /// vCPU 0's table is KVM's answer but for the APIC IDs, whichever host
    /// CPU answered.
    @Test func onlyTheAPICIDsAreTheVCPUs() throws {
        let kvm = try KVM()
        for _ in 0..<4 {
            let answer = try kvm.supportedCPUID()
            let vcpu0 = answer.forVCPU(apicID: 0)
            #expect(vcpu0.count == answer.count)
            for i in 0..<answer.count {
                let range = (i * CPUIDEntries.entrySize)..<((i + 1) * CPUIDEntries.entrySize)
                let a = answer.bytes[range], v = vcpu0.bytes[range]
                let function = answer.bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: range.lowerBound, as: UInt32.self) }
                if function == 1 || function == 0xB || function == 0x1F { continue }
                #expect(a.elementsEqual(v), "leaf \(function)")
            }
            #expect(try #require(vcpu0.entry(function: 1)).ebx >> 24 == 0)
            #expect(try #require(vcpu0.entry(function: 1)).ebx & 0xFF_FFFF
                        == (try #require(answer.entry(function: 1)).ebx & 0xFF_FFFF))
            #expect(vcpu0 == (try kvm.supportedCPUID().forVCPU(apicID: 0)))
            sched_yield()
        }
    }

    @Test func anotherKeyOrAPartialFileIsAMiss() throws {
        let kvm = try KVM()
        let fresh = try kvm.supportedCPUID()
        let key = try #require(SupportedCPUIDCacheKey.current(kvmFD: kvm.fd))
        let file = SupportedCPUIDCache.encode(fresh, key: key)
        #expect(SupportedCPUIDCache.decode(file, key: key) == fresh)
        var otherBoot = key.bytes
        otherBoot[16] ^= 1  // the boot id's first byte
        #expect(SupportedCPUIDCache.decode(file, key: SupportedCPUIDCacheKey(bytes: otherBoot)) == nil)
        #expect(SupportedCPUIDCache.decode(Array(file.dropLast()), key: key) == nil)
        #expect(SupportedCPUIDCache.decode(file + [0], key: key) == nil)
        #expect(SupportedCPUIDCache.decode(Array(file.prefix(SupportedCPUIDCache.headerSize)), key: key) == nil)
    }
}
