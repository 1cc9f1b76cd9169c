// LayoutTests.swift: the ABI as Swift imports it from include/ has the
// sizes, offsets and numbers of docs/abi.md and docs/extensions.md. The C
// headers check the same with _Static_assert; this is the Swift side.

import CKVM
@testable import Image
@testable import Monitor
import Testing

/// (struct size, [field offsets]) of a C struct as Swift sees it.
private func layout<T>(_ type: T.Type, _ fields: [PartialKeyPath<T>]) -> (Int, [Int?]) {
    (MemoryLayout<T>.size, fields.map { MemoryLayout<T>.offset(of: $0) })
}

@Suite struct LayoutTests {
    @Test func hypercallStructs() {
        #expect(layout(ukvm_hc_walltime.self, [\.nsecs]) == (8, [0]))
        #expect(layout(ukvm_hc_puts.self, [\.data, \.len]) == (16, [0, 8]))
        #expect(layout(ukvm_hc_poll.self, [\.timeout_nsecs, \.ready_set, \.ret]) == (24, [0, 8, 16]))
        #expect(layout(ukvm_hc_block_write.self, [\.handle, \.offset, \.data, \.len, \.ret])
            == (40, [0, 8, 16, 24, 32]))
        #expect(layout(ukvm_hc_block_read.self, [\.handle, \.offset, \.data, \.len, \.ret])
            == (40, [0, 8, 16, 24, 32]))
        #expect(layout(ukvm_hc_net_write.self, [\.handle, \.data, \.len, \.ret]) == (32, [0, 8, 16, 24]))
        #expect(layout(ukvm_hc_net_read.self, [\.handle, \.data, \.len, \.ret]) == (32, [0, 8, 16, 24]))
        #expect(layout(ukvm_hc_halt.self, [\.cookie, \.exit_status]) == (16, [0, 8]))
    }

    @Test func bootInfo() {
        #expect(layout(ukvm_boot_info.self, [\.mem_size, \.kernel_end, \.cpu_cycle_freq, \.cmdline, \.mft,
                                             \.host_features, \.guest_features, \.net_ring, \.entropy])
            == (64, [0, 8, 16, 24, 32, 40, 44, 48, 56]))
    }

    @Test func manifestAndNotes() {
        #expect(layout(mft.self, [\.version, \.entries]) == (8, [0, 4]))
        #expect(layout(mft_entry.self, [\.name, \.type, \.u, \.hostpriv, \.attached])
            == (104, [0, 68, 72, 88, 96]))
        #expect(MFT_ENTRY_SIZE == 104 && MFT_NAME_SIZE == 68 && MFT_NOTE_PAD == 4 && MFT_MAX_ENTRIES == 64)
        #expect(layout(mft_block_basic.self, [\.capacity, \.block_size]) == (16, [0, 8]))
        #expect(layout(mft_net_basic.self, [\.mac, \.mtu]) == (8, [0, 6]))
        #expect(layout(solo5_abi_note_desc.self, [\.target, \.version, \.reserved0, \.reserved1])
            == (16, [0, 4, 8, 12]))
        #expect(mft_size(3) == 8 + 3 * 104)
    }

    @Test func extensions() {
        #expect(layout(ukvm_cpl3_note_desc.self, [\.version, \.flags, \.idt, \.exception_stack])
            == (24, [0, 4, 8, 16]))
        #expect(layout(ukvm_netio_frame.self, [\.handle, \.data, \.len, \.ret]) == (32, [0, 8, 16, 24]))
        #expect(layout(ukvm_hc_netio.self, [\.tx, \.rx, \.tx_count, \.rx_count, \.timeout_nsecs,
                                            \.ready_set, \.rx_filled, \.ret])
            == (48, [0, 8, 16, 20, 24, 32, 40, 44]))
        #expect(UKVM_NETIO_MAX_FRAMES == 64 && UKVM_IDT_SIZE == 4096 && UKVM_CPL3_VERSION == 1)
        #expect(layout(ukvm_tss.self, [\.rsp0, \.ist, \.iomap_base]) == (104, [4, 36, 102]))
        // TSS (104 bytes) + I/O bitmap for ports 0-0xfff (512) + closing byte - 1.
        #expect(UKVM_TSS_LIMIT == 104 + 512 && UKVM_TSS_IO_PORTS == 0x1000)
        // Fault reports: upstream's trap registers first, then ours.
        #expect(layout(ukvm_fault_cookie.self, [\.cr2, \.error_code, \.rip, \.cs, \.rflags, \.rsp, \.ss,
                                                \.magic, \.version, \.kind, \.vector, \.rax, \.rbx, \.rcx,
                                                \.rdx, \.rsi, \.rdi, \.rbp, \.r8, \.r15])
            == (192, [0, 8, 16, 24, 32, 40, 48, 56, 60, 64, 68, 72, 80, 88, 96, 104, 112, 120, 128, 184]))
        #expect(UKVM_FAULT_MAGIC == 0x544c_4146 && UKVM_FAULT_VERSION == 1 && UKVM_FAULT_STATUS == 255)
        #expect(UKVM_FAULT_TRAP == 1 && UKVM_FAULT_ABORT == 2)
        #expect(UKVM_FAULT_VECTOR_DB == 1 && UKVM_FAULT_VECTOR_BP == 3)
        #expect(UKVM_HOST_FEATURE_DEBUG == 1 << 18)
        #expect(layout(ukvm_hc_set_fs_base.self, [\.base, \.ret]) == (16, [0, 8]))
        #expect(UKVM_HOST_FEATURE_SET_FS_BASE == 1 << 19)
    }

    /// Every hypercall number, and its port.
    @Test func hypercallNumbers() {
        let numbers: [(ukvm_hypercall, UInt32)] = [
            (UKVM_HYPERCALL_WALLTIME, 1), (UKVM_HYPERCALL_PUTS, 2), (UKVM_HYPERCALL_POLL, 3),
            (UKVM_HYPERCALL_BLOCK_WRITE, 4), (UKVM_HYPERCALL_BLOCK_READ, 5), (UKVM_HYPERCALL_NET_WRITE, 6),
            (UKVM_HYPERCALL_NET_READ, 7), (UKVM_HYPERCALL_HALT, 8), (UKVM_HYPERCALL_NETIO, 16),
            (UKVM_HYPERCALL_SET_FS_BASE, 17), (UKVM_HYPERCALL_MAX, 18),
        ]
        for (call, nr) in numbers { #expect(call.rawValue == nr) }
        #expect(UKVM_HYPERCALL_PIO_BASE == 0x500 && HypercallTable.portBase == 0x500)
        #expect(HypercallTable.limit == 18)
        #expect(UKVM_OK.rawValue == 0 && UKVM_AGAIN.rawValue == 1 && UKVM_EINVAL.rawValue == 2
            && UKVM_EUNSPEC.rawValue == 3)
    }

    @Test func constants() {
        #expect(UKVM_ABI_VERSION == 2 && SOLO5_ABI_TARGET_HVT == 1 && SOLO5_ABI_TARGET_VIRTIO == 3)
        #expect(SOLO5_NOTE_ABI == 0x3149_4241 && SOLO5_NOTE_MANIFEST == 0x3154_464d)
        #expect(SOLO5_NOTE_NAME == "Solo5" && UKVM_NOTE_NAME == "UKVM")
        #expect(UKVM_NOTE_CPL3 == 0x334c_5043)
        #expect(MFT_DEV_BLOCK_BASIC == 1 && MFT_DEV_NET_BASIC == 2 && MFT_RESERVED_FIRST == 1 << 30)
        #expect(UKVM_BOOT_INFO_BASE == 0x10000 && UKVM_KERNEL_BASE == 0x100000 && UKVM_GUARD_END == 0x10000)
        #expect(UKVM_STACK_RESERVE == 1 << 20 && UKVM_CMDLINE_SIZE == 8192 && UKVM_HALT_COOKIE_MAX == 512)
        #expect(UKVM_HOST_FEATURE_RING_IO == 1 && UKVM_HOST_FEATURE_NETIO == 1 << 16)
        #expect(UKVM_HOST_FEATURE_LARGE_SEND == 1 << 20 && UKVM_NET_LARGE_MAX == 14 + 65535)
        #expect(ukvm_net_rx_min(1500) == 1514 && ukvm_net_tx_max(1500) == 1518)
    }

    /// The names of the targets, from the header.
    @Test func targetNames() {
        #expect(ABINote.targetName(1) == "hvt")
        #expect(ABINote.targetName(3) == "virtio")
        #expect(ABINote.targetName(6) == "xen")
        #expect(ABINote.targetName(0) == "unknown (0)")
        #expect(ABINote.targetName(7) == "unknown (7)")
    }

    /// Manifest.DeviceType maps to and from the header's numbers.
    @Test func deviceTypes() {
        for t in [Manifest.DeviceType.blockBasic, .netBasic, .reservedFirst] {
            #expect(Manifest.DeviceType(raw: t.raw) == t)
        }
        #expect(Manifest.DeviceType(raw: 3) == nil)
    }
}
