// TLSModuleTests.swift: SET_FS_BASE's checks, without a vCPU (the rig,
// scripts/hwkvm, runs the tls test where the hypercall is really used).

import CKVM
import Testing
@testable import Monitor

@Suite struct TLSModuleTests {
    @Test func canonicalAddresses() {
        #expect(TLSModule.isCanonical(0))
        #expect(TLSModule.isCanonical(0x0000_7fff_ffff_ffff))
        #expect(TLSModule.isCanonical(0xffff_8000_0000_0000))
        #expect(!TLSModule.isCanonical(0x0000_8000_0000_0000))
        #expect(!TLSModule.isCanonical(0x8000_0000_0000_0000))
    }

    /// A non-canonical base is refused before the vCPU is touched; where
    /// the call is not offered (the vCPU has FSGSBASE), nothing is done.
    @Test func refusals() throws {
        let tls = TLSModule()
        #expect(try tls.setFSBase(0x1234_0000_0000_0000) == HypercallStatus.invalid)
        #expect(try tls.setFSBase(0x1000) == HypercallStatus.unspecified)
        var info = ukvm_boot_info()
        tls.describe(&info)
        #expect(info.host_features == 0)
        tls.offered = true
        tls.describe(&info)
        #expect(info.host_features == UInt32(UKVM_HOST_FEATURE_SET_FS_BASE))
    }
}
