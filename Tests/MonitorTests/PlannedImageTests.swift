// PlannedImageTests.swift: the guest's memory is planned first (the network
// ring included), and the image is then checked once against that plan,
// with the message that says which of the two it did not fit.

@testable import Image
@testable import Monitor
import Support
import Testing

@Suite struct PlannedImageTests {
    let mib: UInt64 = 1 << 20

    /// A test image whose data segment ends at `end`.
    func image(endingAt end: UInt64) throws -> ELFImage {
        var t = TestImage()
        t.segments[1].memSize = end - t.segments[1].vaddr
        return try ELF.parse(t.build())
    }

    @Test func ringAboveTheGuestWhenThereIsRoom() throws {
        let p = try PlannedImage(try image(endingAt: 60 * mib), path: "k", memory: 64 * mib, ring: 2 * mib)
        #expect(p.plan.guest == 64 * mib && p.plan.total == 66 * mib)
        #expect(p.ringAt == 64 * mib)
    }

    @Test func noRingNoReservation() throws {
        let p = try PlannedImage(try image(endingAt: 60 * mib), path: "k", memory: 64 * mib, ring: 0)
        #expect(p.plan.total == 64 * mib && p.ringAt == nil)
    }

    @Test func imageCheckedAgainstWhatTheRingLeaves() throws {
        // At 4 GiB the ring comes off the top: the image must fit below it.
        let elf = try image(endingAt: 4095 * mib)
        #expect(throws: MonitorError.memorySize("k: the image ends at 0xfff00000, beyond the 4094 MiB of guest "
                                                + "memory left beside the network ring")) {
            try PlannedImage(elf, path: "k", memory: 4096 * mib, ring: 2 * mib)
        }
        #expect(try PlannedImage(elf, path: "k", memory: 4096 * mib, ring: 0).plan.guest == 4096 * mib)
    }

    @Test func imageBeyondTheMemoryAskedFor() throws {
        let elf = try image(endingAt: 100 * mib)
        do {
            _ = try PlannedImage(elf, path: "k", memory: 64 * mib, ring: 2 * mib)
            Issue.record("an image beyond --mem was accepted")
        } catch {
            #expect(error == .image(.doesNotFit(path: "k", end: 100 * mib, memorySize: 64 * mib)))
            #expect(error.description.contains("beyond guest memory of 64 MiB (use --mem=100 or more"))
        }
    }

    @Test func memoryRuleShared() {
        #expect(GuestMemorySize.roundedDown(3 * mib) == 2 * mib)
        #expect(GuestMemorySize.roundedDown(mib) == 0)
        #expect(GuestMemorySize.max == 4096 * mib)
        #expect(OptionParser.maxMemory == GuestMemorySize.max)
    }
}
