// Program.swift: running a host program (tc, runc) and collecting what it
// printed, without Foundation: posix_spawn, a pipe, waitpid.

import COCI
import Glibc

enum Program {
    /// Where the runtime looks for system programs: containerd may start it
    /// with a PATH that lacks the sbin directories.
    static let searchPath = ["/usr/sbin", "/sbin", "/usr/bin", "/bin"]

    /// The full path of program `name`, from PATH and the sbin directories.
    static func find(_ name: String) -> String? {
        let path = getenv("PATH").map { String(cString: $0).split(separator: ":").map(String.init) } ?? []
        for dir in path + searchPath where !dir.isEmpty {
            let candidate = dir + "/" + name
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }

    /// Runs argv (argv[0] a full path) with stdin from /dev/null and stdout
    /// and stderr collected; returns the exit status (128+N if killed by
    /// signal N) and the output.
    static func run(_ argv: [String]) throws(OCIError) -> (status: Int32, output: String) {
        var pipeFDs: [Int32] = [0, 0]
        guard coci_pipe(&pipeFDs) == 0 else { throw .system("pipe", errno: errno) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, pipeFDs[1], 1)
        posix_spawn_file_actions_adddup2(&actions, pipeFDs[1], 2)
        var cArgs = argv.map { strdup($0) } + [nil]
        defer { for p in cArgs { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, argv[0], &actions, nil, &cArgs, environ)
        close(pipeFDs[1])
        guard rc == 0 else {
            close(pipeFDs[0])
            throw .system(argv[0], errno: rc)
        }
        let output = (try? Files.read(fd: pipeFDs[0], what: argv[0], limit: 1 << 20)) ?? []
        close(pipeFDs[0])
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let code = status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return (code, String(decoding: output, as: UTF8.self))
    }
}
