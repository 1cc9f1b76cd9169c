// PlannedImage.swift: the image, read once, and the guest's memory planned
// for it. The plan comes first, the network ring included (whether the ring
// is offered depends on the image's CPL3 note, hence the image's structure
// is read before), and the image is then checked once against the memory
// the guest really gets.

import Image
import Support

package struct PlannedImage {
    /// The image's path as the front end gave it (messages, core files).
    package let path: Argument
    package let elf: ELFImage
    package let plan: MemoryPlan

    /// Where the network ring lies, if it was granted.
    package var ringAt: UInt64? { plan.reserved.first ?? nil }

    /// Reads the image at `path` and checks its structure (not yet its fit).
    package static func read(_ path: Argument) throws(MonitorError) -> ELFImage {
        do {
            return try ELF.read(path: path)
        } catch {
            throw .image(error)
        }
    }

    /// Plans `memory` bytes for `elf` with `ring` bytes for the network ring
    /// (NetConfiguration.ringReservation; 0 for none), then checks the image fits
    /// the guest's part of the plan.
    package init(_ elf: ELFImage, path: Argument, memory: UInt64, ring: UInt64) throws(MonitorError) {
        let plan = MemoryPlan(requested: memory, reservations: [ring])
        do {
            try elf.check(fits: plan.guest)
        } catch {
            throw PlannedImage.misfit(error, elf, path: path, memory: memory, plan: plan)
        }
        self.path = path
        self.elf = elf
        self.plan = plan
    }

    /// Why the image does not fit: the memory asked for, or what the ring
    /// left of it.
    private static func misfit(_ problem: ImageProblem, _ elf: ELFImage, path: Argument, memory: UInt64,
                               plan: MemoryPlan) -> MonitorError {
        if case .doesNotFit = problem, plan.guest < memory, (try? elf.check(fits: memory)) != nil {
            return .memorySize("\(path): the image ends at \(hex(elf.kernelEnd)), beyond "
                + "the \(plan.guest >> 20) MiB of guest memory left beside the network ring")
        }
        return .image(ImageError(problem, path: path.description, memorySize: memory))
    }
}
