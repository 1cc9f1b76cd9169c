// Landlock.swift: confines what the monitor can create or write in the file
// system to one directory, with the kernel's Landlock LSM (Linux 5.13+).
//
// The seccomp filter sees a call's numbers, not the paths it points to: it
// can require openat's descriptor to be the core directory's, but openat
// ignores that descriptor for an absolute path and follows "..". Landlock
// checks the path the kernel resolved: from `confineWrites(to:)` on, a file
// can be created or opened for writing only beneath the directory, whatever
// a subverted monitor passes. Descriptors opened before (disks, the console,
// KVM) are not affected: Landlock checks at open time. Reading and
// executing are not handled here (the filter allows no open but the core
// file's, and no exec at all).

import CSys
import Glibc
import Support

enum Landlock {
    // The file access rights of <linux/landlock.h>, by ABI version.
    static let writeFile: UInt64 = 1 << 1
    static let makeReg: UInt64 = 1 << 8
    /// WRITE_FILE, REMOVE_DIR, REMOVE_FILE and every MAKE_* (ABI 1).
    static let writesABI1: UInt64 = writeFile | (0b1_1111_1111 << 4)
    static let refer: UInt64 = 1 << 13        // ABI 2
    static let truncate: UInt64 = 1 << 14     // ABI 3

    /// The kernel's Landlock ABI version, or nil without Landlock.
    static var abi: Int32? {
        let v = csys_landlock_abi()
        return v > 0 ? v : nil
    }

    /// The rights handled for `abi`: every way to create, remove, rename or
    /// write a file that this kernel's Landlock knows.
    static func handled(abi: Int32) -> UInt64 {
        var rights = writesABI1
        if abi >= 2 { rights |= refer }
        if abi >= 3 { rights |= truncate }
        return rights
    }

    /// From now on, this thread (and those it starts) creates and writes
    /// regular files only beneath `directory` (an open descriptor of it);
    /// nothing is removed or renamed anywhere. `what` names it in errors.
    static func confineWrites(to directory: Int32, what: String) throws(MonitorError) {
        guard let abi else {
            throw .debugger("\(what): this kernel has no Landlock (Linux 5.13 or later, with landlock among "
                + "its LSMs), which alone confines the core file to the directory; refused")
        }
        // Landlock asks for no new privileges (or CAP_SYS_ADMIN); the
        // sandbox sets it anyway, and the monitor never execs.
        guard csys_prctl(PR_SET_NO_NEW_PRIVS, 1, 0) == 0 else {
            throw .debugger("\(what): PR_SET_NO_NEW_PRIVS: \(errnoText(errno))")
        }
        guard csys_landlock_confine(handled(abi: abi), directory, writeFile | makeReg) == 0 else {
            throw .debugger("\(what): Landlock: \(errnoText(errno))")
        }
    }
}
