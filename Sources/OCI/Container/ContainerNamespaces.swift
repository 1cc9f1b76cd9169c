// ContainerNamespaces.swift: the namespaces linux.namespaces lists, around
// the container process, as runc gives them:
//
//   pid     `create` moves its own pid_for_children before the fork (a new
//           namespace, or the one at the path), so the container process
//           is born in it (PID 1 of a new one), then moves back;
//   ipc, uts, cgroup, mount
//           the container process joins (path) or creates (no path) them
//           first thing, once it is in its cgroup (so that a new cgroup
//           namespace is rooted at the container's cgroup); a new UTS
//           namespace takes the spec's hostname;
//   network as before: joined at create when the image has network
//           devices (Host/Namespace.swift).
//
// In a new mount namespace, once the monitor has opened everything it will
// use (LaunchHooks.beforeSandbox, just before its sandbox), the monitor's
// view of the file system is emptied: mounts made private, an empty
// read-only tmpfs pivoted to as the root, the old root detached; with its
// own pid namespace, a read-only procfs of that namespace at /proc (what
// `podman top` reads), masked as runc masks it. From then on no host file
// is reachable by path: /proc/PID/root holds /proc alone, whose processes
// are the container's. A joined mount namespace is left as it is (it is
// someone else's).

import COCI
import Glibc

struct ContainerNamespaces {
    let specs: [NamespaceSpec]
    let hostname: String?
    /// Where the empty root is mounted before the pivot: the container's
    /// state directory (any directory would do: the mount is private).
    let mountpoint: String

    func spec(_ kind: NamespaceSpec.Kind) -> NamespaceSpec? { specs.first { $0.kind == kind } }

    /// Whether the container process has namespaces to enter at create.
    var entersAny: Bool { specs.contains { [.ipc, .uts, .cgroup, .mount].contains($0.kind) } }

    /// Whether the monitor's file system view is emptied before its sandbox.
    var isolatesFileSystem: Bool { spec(.mount).map { $0.path == nil } ?? false }

    /// Whether the container has a pid namespace of its own.
    var ownsPIDNamespace: Bool { spec(.pid).map { $0.path == nil } ?? false }

    static func flag(_ kind: NamespaceSpec.Kind) -> Int32 {
        switch kind {
        case .pid: return coci_CLONE_NEWPID
        case .ipc: return coci_CLONE_NEWIPC
        case .uts: return coci_CLONE_NEWUTS
        case .mount: return coci_CLONE_NEWNS
        case .cgroup: return coci_CLONE_NEWCGROUP
        case .network: return coci_CLONE_NEWNET
        }
    }

    // MARK: pid, in create

    /// Makes the next fork of this process start in the pid namespace the
    /// spec asks for; returns the descriptor of this process's own, for
    /// `restorePID` (nil if the spec lists none).
    func preparePID() throws(OCIError) -> Int32? {
        guard let pid = spec(.pid) else { return nil }
        let own = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC)
        guard own >= 0 else { throw .system("/proc/self/ns/pid", errno: errno) }
        do throws(OCIError) {
            if let path = pid.path {
                let fd = open(path, O_RDONLY | O_CLOEXEC)
                guard fd >= 0 else { throw .system("pid namespace \(path)", errno: errno) }
                defer { close(fd) }
                guard coci_setns(fd, coci_CLONE_NEWPID) == 0 else {
                    throw .system("setns to pid namespace \(path)", errno: errno)
                }
            } else {
                guard coci_unshare(coci_CLONE_NEWPID) == 0 else { throw .system("unshare(CLONE_NEWPID)", errno: errno) }
            }
        } catch {
            close(own)
            throw error
        }
        return own
    }

    /// Back to this process's own pid namespace for later forks (once the
    /// container's first process has gone, its namespace takes no other).
    static func restorePID(_ own: Int32?) {
        guard let own else { return }
        _ = coci_setns(own, coci_CLONE_NEWPID)
        close(own)
    }

    // MARK: ipc, uts, cgroup, mount, in the container process

    /// Joins or creates every namespace but pid and network. The paths are
    /// all opened first: joining a mount namespace changes what they name.
    func enter() throws(OCIError) {
        let kinds: [NamespaceSpec.Kind] = [.ipc, .uts, .cgroup, .mount]
        var joins: [(NamespaceSpec, Int32)] = []
        defer { for (_, fd) in joins { close(fd) } }
        for s in specs where kinds.contains(s.kind) {
            guard let path = s.path else { continue }
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw .system("\(s.kind.rawValue) namespace \(path)", errno: errno) }
            joins.append((s, fd))
        }
        for (s, fd) in joins where coci_setns(fd, ContainerNamespaces.flag(s.kind)) != 0 {
            throw .system("setns to \(s.kind.rawValue) namespace \(s.path!)", errno: errno)
        }
        let new = specs.filter { kinds.contains($0.kind) && $0.path == nil }
        let flags = new.reduce(Int32(0)) { $0 | ContainerNamespaces.flag($1.kind) }
        if flags != 0 && coci_unshare(flags) != 0 {
            throw .system("unshare of the \(new.map(\.kind.rawValue).joined(separator: ", ")) namespaces", errno: errno)
        }
        if isolatesFileSystem {
            // Nothing mounted from here on reaches the host, nor the reverse.
            guard coci_mount(nil, "/", nil, coci_MS_REC | coci_MS_PRIVATE, nil) == 0 else {
                throw .system("making the container's mounts private", errno: errno)
            }
        }
        if let hostname, spec(.uts)?.path == nil, spec(.uts) != nil {
            guard coci_sethostname(hostname, hostname.utf8.count) == 0 else {
                throw .system("sethostname \(hostname)", errno: errno)
            }
        }
    }

    /// Empties the file system view (see the top): an empty read-only tmpfs
    /// mounted over `mountpoint` (any directory: the mount is private to
    /// this namespace) becomes the root, the old one detached. With its own
    /// pid namespace, the root holds one thing: /proc, read-only, a procfs
    /// of that namespace (its processes only), which is what `podman top`
    /// reads in the container (it needs /proc/stat, so procfs's pid-only
    /// subset will not do); the kernel files runc masks are masked the same
    /// way. The monitor itself opens nothing once its sandbox is on.
    static func pivotToEmptyRoot(mountpoint: String, ownPIDNamespace: Bool) throws(OCIError) {
        let flags = coci_MS_NOSUID | coci_MS_NODEV | coci_MS_NOEXEC
        guard coci_mount("ukvm-oci", mountpoint, "tmpfs", flags, "size=4k,nr_inodes=3,mode=0555") == 0 else {
            throw .system("mounting an empty root at \(mountpoint)", errno: errno)
        }
        guard chdir(mountpoint) == 0 else { throw .system("chdir \(mountpoint)", errno: errno) }
        // pivot_root(".", "."): the old root is stacked under the new one,
        // then detached; the new root needs no directory to put it in.
        guard coci_pivot_root(".", ".") == 0 else { throw .system("pivot_root", errno: errno) }
        guard coci_umount2(".", coci_MNT_DETACH) == 0 else { throw .system("detaching the host's root", errno: errno) }
        guard chdir("/") == 0 else { throw .system("chdir /", errno: errno) }
        if ownPIDNamespace { try mountProc(flags: flags) }
        guard coci_mount(nil, "/", nil, coci_MS_REMOUNT | coci_MS_RDONLY | flags, nil) == 0 else {
            throw .system("making the empty root read-only", errno: errno)
        }
    }

    /// What runc's default spec masks in /proc (maskedPaths): kernel
    /// memory, keys, timers, scheduler and hardware details.
    static let maskedProcPaths = ["/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
                                  "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi"]

    private static func mountProc(flags: UInt) throws(OCIError) {
        guard mkdir("/proc", 0o555) == 0 else { throw .system("mkdir /proc", errno: errno) }
        guard coci_mount("proc", "/proc", "proc", flags | coci_MS_RDONLY, nil) == 0 else {
            throw .system("mounting the container's /proc", errno: errno)
        }
        // Files are masked by an empty file bound over them, directories
        // by an empty tmpfs. The file stays (an unlinked one would keep the
        // root from being made read-only).
        let empty = "/.masked"
        let fd = open(empty, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0)
        guard fd >= 0 else { throw .system(empty, errno: errno) }
        close(fd)
        for path in maskedProcPaths {
            var st = stat()
            guard lstat(path, &st) == 0 else { continue }
            let masked = st.st_mode & S_IFMT == S_IFDIR
                ? coci_mount("masked", path, "tmpfs", flags | coci_MS_RDONLY, "size=0,nr_inodes=1,mode=0")
                : coci_mount(empty, path, nil, coci_MS_BIND, nil)
            guard masked == 0 else { throw .system("masking \(path)", errno: errno) }
            if st.st_mode & S_IFMT != S_IFDIR {
                _ = coci_mount(nil, path, nil, coci_MS_BIND | coci_MS_REMOUNT | coci_MS_RDONLY | flags, nil)
            }
        }
    }
}
