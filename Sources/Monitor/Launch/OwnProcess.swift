// OwnProcess.swift: what the monitor makes sure of in its own process
// before it opens anything.
//
// Descriptors 0 to 2 must be open: started with stdout or stderr closed,
// the first file the monitor opened (a disk) would get that number, and the
// guest's console output or the monitor's messages would be written over
// the disk. Each closed one gets /dev/null. And a console pipe whose reader
// went must make writes fail with EPIPE, not kill the monitor.
//
// And the command line must have been read: in the static executable the
// Swift runtime reads argv from /proc/self/cmdline, which needs a free
// descriptor. Started with a descriptor limit that leaves none, the monitor
// would see no arguments at all and complain about a missing KERNEL.

import Glibc
import Support

enum OwnProcess {
    /// Why `arguments` (argv, program name first) came out empty, or nil
    /// when they did not.
    static func commandLineProblem(_ arguments: [[UInt8]]) -> String? {
        guard arguments.isEmpty else { return nil }
        let probe = open("/dev/null", O_RDONLY | O_CLOEXEC)
        guard probe < 0 else {
            close(probe)
            return "cannot read the command line (/proc/self/cmdline)"
        }
        return "cannot read the command line (/proc/self/cmdline): \(errnoText(errno)); "
            + "raise the descriptor limit (ulimit -n; the monitor needs 7 or more)"
    }

    /// Opens /dev/null on each of descriptors 0 to 2 that is closed, and
    /// ignores SIGPIPE. Returns why a descriptor could not be filled, or nil.
    static func prepare() -> String? {
        signal(SIGPIPE, SIG_IGN)
        for fd: Int32 in 0...2 where fcntl(fd, F_GETFD) < 0 && errno == EBADF {
            // open() returns the lowest free descriptor: this one.
            let null = open("/dev/null", O_RDWR)
            guard null == fd else {
                let reason = null < 0 ? errnoText(errno) : "got descriptor \(null)"
                if null >= 0 { close(null) }
                return "cannot open /dev/null on closed descriptor \(fd): \(reason)"
            }
        }
        return nil
    }
}
