// DeviceWaitTests.swift: the device wait of POLL and NETIO: a stop signal
// ends it wherever it arrives, and a sleep ends at its deadline, not before.
// Signals are per process, so the waits that take them run in a child.

import Glibc
import Testing
@testable import Monitor

@Suite struct DeviceWaitTests {
    /// A datagram socketpair standing in for a tap that never gets a frame.
    func quietDevice() throws -> (DeviceWait, [Int32]) {
        var fds: [Int32] = [0, 0]
        #expect(socketpair(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0, &fds) == 0)
        return (try DeviceWait([PollDescriptor(fd: fds[0], handle: 1)]), fds)
    }

    /// Runs `body` in a child process with the monitor's signal handling,
    /// sends it SIGTERM after `delay` µs, and returns its exit status, or
    /// nil if it had not exited 15 s later (then it is killed).
    func childStopped(after delay: UInt32, _ body: @escaping () -> Bool) -> Int32? {
        _ = Signals.caught   // made before the fork, as the monitor does before install
        let child = fork()
        if child == 0 {
            Signals.install()
            _exit(body() ? 0 : 1)
        }
        usleep(delay)
        kill(child, SIGTERM)
        var status: Int32 = 0
        for _ in 0..<1500 {
            if waitpid(child, &status, WNOHANG) == child { return status & 0x7f == 0 ? (status >> 8) & 0xff : -1 }
            usleep(10_000)
        }
        kill(child, SIGKILL)
        waitpid(child, &status, 0)
        return nil
    }

    /// A stop signal that arrives while the wait polls before sleeping ends
    /// the wait; it must not be lost until the deadline 30 s later.
    @Test func stopSignalDuringTheSpin() throws {
        let (wait, fds) = try quietDevice()
        defer { for fd in fds { close(fd) } }
        let status = childStopped(after: 300_000) {
            let r = wait.wait(timeout: 30_000_000_000, spin: 3_000_000_000)
            return r.count == 0 && Signals.caught == SIGTERM
        }
        #expect(status == 0, "the stop signal was lost (nil: the wait went on to its deadline)")
    }

    /// A stop signal ends a sleep, with devices and without.
    @Test(arguments: [true, false])
    func stopSignalDuringTheSleep(withDevice: Bool) throws {
        let (wait, fds) = withDevice ? try quietDevice() : (try DeviceWait([]), [])
        defer { for fd in fds { close(fd) } }
        let status = childStopped(after: 300_000) {
            let r = wait.wait(timeout: 30_000_000_000)
            return r.count == 0 && Signals.caught == SIGTERM
        }
        #expect(status == 0)
    }

    /// A sleep lasts until its deadline: never less.
    @Test func sleepsUntilTheDeadline() throws {
        let wait = try DeviceWait([])
        for ns: UInt64 in [1_000_000, 20_000_000] {
            let start = DeviceWait.monotonicNanoseconds()
            let r = wait.wait(timeout: ns)
            #expect(r.count == 0)
            #expect(DeviceWait.monotonicNanoseconds() - start >= ns)
        }
        let r = wait.wait(timeout: 0)
        #expect(r.count == 0)
    }

    /// A frame wakes a sleep long before its deadline, and says which device.
    @Test func frameEndsTheSleep() throws {
        let (wait, fds) = try quietDevice()
        defer { for fd in fds { close(fd) } }
        var byte: UInt8 = 1
        #expect(write(fds[1], &byte, 1) == 1)
        let r = wait.wait(timeout: 30_000_000_000)
        #expect(r.count == 1 && r.set == 1 << 1)
    }
}
