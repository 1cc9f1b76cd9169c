// CPUIDCacheChoiceTests.swift: --x-cpuid-cache and where the supported-CPUID
// cache is without it; ukvm-oci's monitor keeps none.

import Glibc
@testable import Image
@testable import Monitor
@testable import OCI
import Support
import Testing

@Suite struct CPUIDCacheChoiceTests {
    func options(_ args: [String]) throws(MonitorError) -> Options {
        let launch = Launch()
        let parser = OptionParser(fileExists: { _ in false }, interfaceExists: { _ in false })
        return try parser.parse(args.map { Argument($0) } + ["k"], modules: launch.modules)
    }

    @Test func theFlag() throws {
        #expect(try options([]).cpuidCache == .standard)
        #expect(try options(["--x-cpuid-cache=off"]).cpuidCache == .off)
        #expect(try options(["--x-cpuid-cache=/tmp/c"]).cpuidCache == .directory("/tmp/c"))
        #expect(try options(["--x-cpuid-cache=/a", "--x-cpuid-cache=off"]).cpuidCache == .off)
        #expect(throws: MonitorError.badValue(flag: "--x-cpuid-cache", value: "", expected: "directory (or off)")) {
            try options(["--x-cpuid-cache="])
        }
        #expect(throws: MonitorError.self) { try options(["--x-cpuid-cache"]) }
        #expect(throws: MonitorError.unknownOption("--x-cpuid-caches=/a")) { try options(["--x-cpuid-caches=/a"]) }
    }

    @Test func whereTheCacheIs() {
        #expect(CPUIDCacheChoice.off.cache == nil)
        #expect(CPUIDCacheChoice.directory("/d").cache?.directory == Array("/d".utf8))
        if geteuid() == 0 {
            #expect(CPUIDCacheChoice.standard.cache?.directory == Array("/run/ukvm".utf8))
        }
    }

    @Test func ukvmOCIKeepsNone() throws {
        var t = TestImage()
        t.segments[1].memSize = (8 << 20) - t.segments[1].vaddr
        let image = try PlannedImage(try ELF.parse(t.build()), path: "k", memory: 16 << 20, ring: 0)
        let plan = LaunchPlan(imagePath: "/k", image: image, blocks: [], nets: [], guestArgs: [], network: .host)
        #expect(plan.configuration(nets: [], macs: [:], guestArgs: []).cpuidCache == .off)
    }
}
