// LayoutTests.swift: the ABI structs as Swift imports them from
// ukvm_abi.h have ABI.md's sizes and offsets.

import CKVM
import Testing

@Suite struct LayoutTests {
    @Test func hypercallStructs() {
        #expect(MemoryLayout<ukvm_hc_walltime>.size == 8)
        #expect(MemoryLayout<ukvm_hc_puts>.size == 16)
        #expect(MemoryLayout<ukvm_hc_puts>.offset(of: \.len) == 8)
        #expect(MemoryLayout<ukvm_hc_poll>.size == 24)
        #expect(MemoryLayout<ukvm_hc_poll>.offset(of: \.ready_set) == 8)
        #expect(MemoryLayout<ukvm_hc_poll>.offset(of: \.ret) == 16)
        #expect(MemoryLayout<ukvm_hc_block_write>.size == 40)
        #expect(MemoryLayout<ukvm_hc_block_write>.offset(of: \.offset) == 8)
        #expect(MemoryLayout<ukvm_hc_block_write>.offset(of: \.data) == 16)
        #expect(MemoryLayout<ukvm_hc_block_write>.offset(of: \.len) == 24)
        #expect(MemoryLayout<ukvm_hc_block_write>.offset(of: \.ret) == 32)
        #expect(MemoryLayout<ukvm_hc_block_read>.size == 40)
        #expect(MemoryLayout<ukvm_hc_block_read>.offset(of: \.len) == 24)
        #expect(MemoryLayout<ukvm_hc_block_read>.offset(of: \.ret) == 32)
        #expect(MemoryLayout<ukvm_hc_net_write>.size == 32)
        #expect(MemoryLayout<ukvm_hc_net_write>.offset(of: \.data) == 8)
        #expect(MemoryLayout<ukvm_hc_net_write>.offset(of: \.len) == 16)
        #expect(MemoryLayout<ukvm_hc_net_write>.offset(of: \.ret) == 24)
        #expect(MemoryLayout<ukvm_hc_net_read>.size == 32)
        #expect(MemoryLayout<ukvm_hc_net_read>.offset(of: \.len) == 16)
        #expect(MemoryLayout<ukvm_hc_net_read>.offset(of: \.ret) == 24)
        #expect(MemoryLayout<ukvm_hc_halt>.size == 16)
        #expect(MemoryLayout<ukvm_hc_halt>.offset(of: \.exit_status) == 8)
    }

    @Test func bootInfo() {
        #expect(MemoryLayout<ukvm_boot_info>.size == 56)
        #expect(MemoryLayout<ukvm_boot_info>.offset(of: \.kernel_end) == 8)
        #expect(MemoryLayout<ukvm_boot_info>.offset(of: \.cpu_cycle_freq) == 16)
        #expect(MemoryLayout<ukvm_boot_info>.offset(of: \.cmdline) == 24)
        #expect(MemoryLayout<ukvm_boot_info>.offset(of: \.mft) == 32)
        #expect(MemoryLayout<ukvm_boot_info>.offset(of: \.host_features) == 40)
        #expect(MemoryLayout<ukvm_boot_info>.offset(of: \.guest_features) == 44)
        #expect(MemoryLayout<ukvm_boot_info>.offset(of: \.net_ring) == 48)
    }

    @Test func manifestAndNotes() {
        #expect(MemoryLayout<mft>.size == 8)
        #expect(MemoryLayout<mft_entry>.size == 104)
        #expect(MemoryLayout<mft_entry>.offset(of: \.type) == 68)
        #expect(MemoryLayout<mft_entry>.offset(of: \.u) == 72)
        #expect(MemoryLayout<mft_entry>.offset(of: \.hostpriv) == 88)
        #expect(MemoryLayout<mft_entry>.offset(of: \.attached) == 96)
        #expect(MemoryLayout<mft_block_basic>.offset(of: \.block_size) == 8)
        #expect(MemoryLayout<mft_net_basic>.offset(of: \.mtu) == 6)
        #expect(MemoryLayout<solo5_abi_note_desc>.size == 16)
        #expect(MemoryLayout<ukvm_cpl3_note_desc>.size == 24)
        #expect(MemoryLayout<ukvm_cpl3_note_desc>.offset(of: \.idt) == 8)
        #expect(MemoryLayout<ukvm_cpl3_note_desc>.offset(of: \.exception_stack) == 16)
    }

    @Test func netio() {
        #expect(MemoryLayout<ukvm_netio_frame>.size == 32)
        #expect(MemoryLayout<ukvm_netio_frame>.offset(of: \.handle) == 0)
        #expect(MemoryLayout<ukvm_netio_frame>.offset(of: \.data) == 8)
        #expect(MemoryLayout<ukvm_netio_frame>.offset(of: \.len) == 16)
        #expect(MemoryLayout<ukvm_netio_frame>.offset(of: \.ret) == 24)
        #expect(MemoryLayout<ukvm_hc_netio>.size == 48)
        #expect(MemoryLayout<ukvm_hc_netio>.offset(of: \.rx) == 8)
        #expect(MemoryLayout<ukvm_hc_netio>.offset(of: \.tx_count) == 16)
        #expect(MemoryLayout<ukvm_hc_netio>.offset(of: \.rx_count) == 20)
        #expect(MemoryLayout<ukvm_hc_netio>.offset(of: \.timeout_nsecs) == 24)
        #expect(MemoryLayout<ukvm_hc_netio>.offset(of: \.ready_set) == 32)
        #expect(MemoryLayout<ukvm_hc_netio>.offset(of: \.rx_filled) == 40)
        #expect(MemoryLayout<ukvm_hc_netio>.offset(of: \.ret) == 44)
        #expect(UKVM_HOST_FEATURE_NETIO == 1 << 16 && UKVM_HYPERCALL_NETIO == 16)
        // TSS (104 bytes) + I/O bitmap for ports 0-0xfff (512) + closing byte - 1.
        #expect(UKVM_TSS_LIMIT == 104 + 512)
    }

    @Test func constants() {
        #expect(UKVM_HYPERCALL_PIO_BASE == 0x500)
        #expect(UKVM_HYPERCALL_HALT.rawValue == 8)
        #expect(SOLO5_NOTE_ABI == 0x3149_4241)
        #expect(SOLO5_NOTE_MANIFEST == 0x3154_464d)
        #expect(UKVM_NOTE_CPL3 == 0x334c_5043)
        #expect(MFT_RESERVED_FIRST.rawValue == 1 << 30)
        #expect(UKVM_BOOT_INFO_BASE == 0x10000 && UKVM_KERNEL_BASE == 0x100000)
    }
}
