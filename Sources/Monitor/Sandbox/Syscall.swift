// Syscall.swift: the x86_64 system calls the sandbox names: its rules, and
// the calls the SIGSYS report can name. Numbers from <sys/syscall.h>.

import CSys

struct Syscall: Hashable, CustomStringConvertible {
    let number: Int32
    /// A literal: the sandbox's report (ViolationReport.swift) points at
    /// its bytes instead of copying every name on every boot.
    let name: StaticString

    init(_ number: Int, _ name: StaticString) {
        self.number = Int32(number)
        self.name = name
    }

    /// A call is its number.
    static func == (a: Syscall, b: Syscall) -> Bool { a.number == b.number }
    func hash(into hasher: inout Hasher) { hasher.combine(number) }

    var description: String { "\(name) (\(number))" }

    // What the run loop, the modules and the runtime may call.
    static let read = Syscall(Int(SYS_read), "read")
    static let write = Syscall(Int(SYS_write), "write")
    static let pread64 = Syscall(Int(SYS_pread64), "pread64")
    static let pwrite64 = Syscall(Int(SYS_pwrite64), "pwrite64")
    static let preadv2 = Syscall(Int(SYS_preadv2), "preadv2")
    static let pwritev2 = Syscall(Int(SYS_pwritev2), "pwritev2")
    static let readv = Syscall(Int(SYS_readv), "readv")
    static let writev = Syscall(Int(SYS_writev), "writev")
    static let ioctl = Syscall(Int(SYS_ioctl), "ioctl")
    static let ppoll = Syscall(Int(SYS_ppoll), "ppoll")
    static let timerfdSettime = Syscall(Int(SYS_timerfd_settime), "timerfd_settime")
    static let setitimer = Syscall(Int(SYS_setitimer), "setitimer")
    static let clockGettime = Syscall(Int(SYS_clock_gettime), "clock_gettime")
    static let fdatasync = Syscall(Int(SYS_fdatasync), "fdatasync")
    static let rtSigreturn = Syscall(Int(SYS_rt_sigreturn), "rt_sigreturn")
    static let rtSigtimedwait = Syscall(Int(SYS_rt_sigtimedwait), "rt_sigtimedwait")
    static let rtSigprocmask = Syscall(Int(SYS_rt_sigprocmask), "rt_sigprocmask")
    static let rtSigaction = Syscall(Int(SYS_rt_sigaction), "rt_sigaction")
    static let getpid = Syscall(Int(SYS_getpid), "getpid")
    static let gettid = Syscall(Int(SYS_gettid), "gettid")
    static let tgkill = Syscall(Int(SYS_tgkill), "tgkill")
    static let exitGroup = Syscall(Int(SYS_exit_group), "exit_group")
    static let exit = Syscall(Int(SYS_exit), "exit")
    static let brk = Syscall(Int(SYS_brk), "brk")
    static let mmap = Syscall(Int(SYS_mmap), "mmap")
    static let munmap = Syscall(Int(SYS_munmap), "munmap")
    static let mremap = Syscall(Int(SYS_mremap), "mremap")
    static let madvise = Syscall(Int(SYS_madvise), "madvise")
    static let mprotect = Syscall(Int(SYS_mprotect), "mprotect")
    static let futex = Syscall(Int(SYS_futex), "futex")
    static let sigaltstack = Syscall(Int(SYS_sigaltstack), "sigaltstack")
    static let close = Syscall(Int(SYS_close), "close")
    static let dup3 = Syscall(Int(SYS_dup3), "dup3")
    static let mincore = Syscall(Int(SYS_mincore), "mincore")

    // What a monitor that was made to misbehave would reach for; named so
    // that the SIGSYS report can say which it was.
    static let open = Syscall(Int(SYS_open), "open")
    static let openat = Syscall(Int(SYS_openat), "openat")
    static let execve = Syscall(Int(SYS_execve), "execve")
    static let execveat = Syscall(Int(SYS_execveat), "execveat")
    static let clone = Syscall(Int(SYS_clone), "clone")
    static let clone3 = Syscall(Int(SYS_clone3), "clone3")
    static let fork = Syscall(Int(SYS_fork), "fork")
    static let vfork = Syscall(Int(SYS_vfork), "vfork")
    static let socket = Syscall(Int(SYS_socket), "socket")
    static let connect = Syscall(Int(SYS_connect), "connect")
    static let kill = Syscall(Int(SYS_kill), "kill")
    static let ptrace = Syscall(Int(SYS_ptrace), "ptrace")
    static let prctl = Syscall(Int(SYS_prctl), "prctl")
    static let seccomp = Syscall(Int(SYS_seccomp), "seccomp")
    static let fcntl = Syscall(Int(SYS_fcntl), "fcntl")
    static let lseek = Syscall(Int(SYS_lseek), "lseek")
    static let fstat = Syscall(Int(SYS_fstat), "fstat")
    static let newfstatat = Syscall(Int(SYS_newfstatat), "newfstatat")
    static let getrandom = Syscall(Int(SYS_getrandom), "getrandom")

    /// Every call named here.
    static let known: [Syscall] = [
        read, write, pread64, pwrite64, preadv2, pwritev2, readv, writev, ioctl, ppoll,
        timerfdSettime, setitimer, clockGettime, fdatasync, rtSigreturn, rtSigtimedwait, rtSigprocmask,
        rtSigaction, getpid, gettid, tgkill, exitGroup, exit, brk, mmap, munmap, mremap, madvise,
        mprotect, futex, sigaltstack, close, dup3, mincore, open, openat, execve, execveat, clone,
        clone3, fork, vfork, socket, connect, kill, ptrace, prctl, seccomp, fcntl, lseek, fstat,
        newfstatat, getrandom,
    ]
}
