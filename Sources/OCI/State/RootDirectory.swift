// RootDirectory.swift: the `--root` directory is trusted only if no one but
// the effective user could have written into it. Every command reads
// ROOT/ID/ukvm-oci.json and acts on what it says (the PID that `kill`
// signals, the network namespace and interfaces `delete` cleans up): a
// state file forged by another user would turn a root `ukvm-oci` into that
// user's tool. So an existing root owned by anyone else, or writable by its
// group or by others, is refused before anything in it is read.

import Glibc

enum RootDirectory {
    /// Refuses `root` if it exists and is not the effective user's alone;
    /// a root that does not exist passes (`create` makes it, 0711).
    static func check(_ root: String) throws(OCIError) {
        var st = stat()
        guard stat(root, &st) == 0 else {
            if errno == ENOENT { return }
            throw .system("--root \(root)", errno: errno)
        }
        try check(st, root: root, euid: geteuid())
    }

    /// The rule itself, on `st` (unit-tested without a second user).
    static func check(_ st: stat, root: String, euid: uid_t) throws(OCIError) {
        guard st.st_mode & S_IFMT == S_IFDIR else {
            throw OCIError("--root \(root): not a directory")
        }
        guard st.st_uid == euid else {
            throw OCIError("--root \(root): owned by uid \(st.st_uid), not by the effective user (uid \(euid)); "
                + "refused, since its state files could be forged")
        }
        let mode = st.st_mode & 0o7777
        guard mode & 0o022 == 0 else {
            throw OCIError("--root \(root): writable by its group or by others (mode \(String(mode, radix: 8))); "
                + "refused, since its state files could be forged")
        }
    }
}
