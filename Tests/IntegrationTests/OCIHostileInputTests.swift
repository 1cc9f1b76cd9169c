// OCIHostileInputTests.swift: what an image, a bundle or another user can
// put in ukvm-oci's way, each attack performed and the host file or device
// checked untouched: a block device node, a FIFO and a character device in
// the image's rootfs, a symlink planted at the PID file, a --root another
// user could write into (a forged state file naming a victim process).

import Foundation
import Testing
import TestSupport

@Suite("ukvm-oci: hostile images, bundles and state", .serialized,
       .enabled(if: kvmUnavailable == nil, "needs /dev/kvm"),
       .enabled(if: getuid() == 0, "device nodes and a second owner need root"))
struct OCIHostileInputTests {
    typealias Bundle = UkvmOCITests.Bundle

    /// A loop device over a file of known bytes, detached when it goes.
    final class LoopDevice {
        let backing = TempFile(size: 1 << 20, name: "loop")
        let device: String
        let major: Int32, minor: Int32

        init?() {
            _ = sh("head -c 1048576 /dev/urandom > \(backing.path)")
            let r = sh("losetup --find --show \(backing.path)")
            guard r.status == 0 else { return nil }
            device = r.output.trimmingCharacters(in: .whitespacesAndNewlines)
            var st = stat()
            guard stat(device, &st) == 0 else { return nil }
            major = Int32(st.st_rdev >> 8 & 0xfff)
            minor = Int32((st.st_rdev & 0xff) | (st.st_rdev >> 12 & 0xfff00))
        }

        deinit { _ = sh("losetup -d \(device)") }
    }

    /// Defect 1: an image layer ships /solo5/block/storage as a block device
    /// node of a host disk. Refused at create; the disk is untouched.
    @Test func blockDeviceNodeInTheImage() throws {
        let loop = try #require(LoopDevice(), "losetup failed")
        let before = try loop.backing.contents()
        let b = try Bundle("blk", args: ["/blk.ukvm"])
        try FileManager.default.createDirectory(atPath: b.rootfs + "/solo5/block", withIntermediateDirectories: true)
        #expect(mknod(b.rootfs + "/solo5/block/storage", S_IFBLK | 0o600, makedev(loop.major, loop.minor)) == 0)
        let r = b.oci(["run", "--bundle", b.dir, "d1"])
        #expect(r.status == 1, "\(r)")
        #expect(r.errorOutput.contains("/solo5/block/storage (in the container's rootfs): a block device; "
            + "only regular files are taken from a container image"), "\(r)")
        #expect(try loop.backing.contents() == before)
    }

    /// The operator may still give a block device: a bind mount of it.
    @Test func blockDeviceThroughABindMount() throws {
        let loop = try #require(LoopDevice(), "losetup failed")
        let mount = #","mounts":[{"destination":"/solo5/block/storage","source":"\#(loop.device)","type":"bind","options":["rbind","rw"]}]"#
        let b = try Bundle("blk", args: ["/blk.ukvm"], extra: mount)
        let r = b.oci(["create", "--bundle", b.dir, "d2"])
        #expect(r.status == 0, "\(r)")
        #expect(b.oci(["delete", "--force", "d2"]).status == 0)
    }

    private func makedev(_ major: Int32, _ minor: Int32) -> dev_t {
        dev_t((UInt64(major) << 8) | UInt64(minor & 0xff) | (UInt64(minor & ~0xff) << 12))
    }

    /// Defect 2: a FIFO as the unikernel hung create forever; a character
    /// device was opened (its driver's open run) before being refused.
    @Test func fifoAsTheImage() throws {
        let b = try Bundle("hello", args: ["/fifo.ukvm"])
        #expect(mkfifo(b.rootfs + "/fifo.ukvm", 0o644) == 0)
        let r = b.oci(["create", "--bundle", b.dir, "f1"], timeout: 20)
        #expect(!r.timedOut && r.status == 1, "\(r)")
        #expect(r.errorOutput.contains("/fifo.ukvm (in the container's rootfs): a FIFO"), "\(r)")
    }

    @Test func characterDeviceAsTheImage() throws {
        let b = try Bundle("hello", args: ["/tty.ukvm"])
        // /dev/tty: opening it would make it the controlling terminal of a
        // process without one; /dev/null's numbers for the disk.
        #expect(mknod(b.rootfs + "/tty.ukvm", S_IFCHR | 0o666, makedev(5, 0)) == 0)
        let r = b.oci(["create", "--bundle", b.dir, "c1"], timeout: 20)
        #expect(!r.timedOut && r.status == 1, "\(r)")
        #expect(r.errorOutput.contains("/tty.ukvm (in the container's rootfs): a character device"), "\(r)")
        let disk = try Bundle("blk", args: ["/blk.ukvm"])
        try FileManager.default.createDirectory(atPath: disk.rootfs + "/solo5/block", withIntermediateDirectories: true)
        #expect(mknod(disk.rootfs + "/solo5/block/storage", S_IFCHR | 0o666, makedev(1, 3)) == 0)
        let d = disk.oci(["create", "--bundle", disk.dir, "c2"], timeout: 20)
        #expect(d.status == 1 && d.errorOutput.contains("a character device"), "\(d)")
    }

    /// Defect 3: the PID file's directory is shared, and a symlink planted
    /// at the PID file's name (or at a temporary's) must not make root write
    /// through it.
    @Test func symlinkPlantedAtThePIDFile() throws {
        let b = try Bundle("hello", args: ["/hello.ukvm"])
        let victim = TempFile(size: 0, name: "victim")
        try "precious\n".write(toFile: victim.path, atomically: false, encoding: .utf8)
        let shared = b.dir + "/shared"
        try FileManager.default.createDirectory(atPath: shared, withIntermediateDirectories: true)
        #expect(chmod(shared, 0o1777) == 0)
        let pidFile = shared + "/c.pid"
        #expect(symlink(victim.path, pidFile) == 0)
        // The old scheme's temporary names: PATH.tmp<pid> for the next pids.
        let next = Int(getpid())
        for p in next..<(next + 300) { _ = symlink(victim.path, pidFile + ".tmp\(p)") }
        let r = b.oci(["create", "--bundle", b.dir, "--pid-file", pidFile, "p1"])
        #expect(r.status == 0, "\(r)")
        #expect(try String(contentsOfFile: victim.path, encoding: .utf8) == "precious\n")
        var st = stat()
        #expect(lstat(pidFile, &st) == 0 && st.st_mode & S_IFMT == S_IFREG, "the PID file is still a link")
        let pid = try String(contentsOfFile: pidFile, encoding: .utf8)
        #expect(Int32(pid) ?? 0 > 0, "\(pid)")
        #expect(b.oci(["delete", "--force", "p1"]).status == 0)
    }

    /// Defect 4: a --root another user can write into. A state file forged
    /// there names a process of the forger's choice; `kill` must not signal
    /// it, `delete` must not act on it.
    @Test(arguments: ["group-writable", "foreign-owner"])
    func forgedStateInAForeignRoot(how: String) throws {
        let b = try Bundle("hello", args: ["/hello.ukvm"])
        let victim = try Background(["/bin/sleep", "60"])
        defer { victim.stop() }
        let pid = victim.process.processIdentifier
        let start = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
            .split(separator: ")").last!.split(separator: " ")[19]
        let root = b.dir + "/foreign"
        try FileManager.default.createDirectory(atPath: root + "/v1", withIntermediateDirectories: true)
        let forged = #"{"id":"v1","pid":\#(pid),"startTime":\#(start),"bundle":"/","rootfs":"/","created":"x","annotations":{},"netns":null,"interfaces":[]}"#
        try forged.write(toFile: root + "/v1/ukvm-oci.json", atomically: false, encoding: .utf8)
        if how == "group-writable" {
            #expect(chmod(root, 0o775) == 0)
        } else {
            #expect(chmod(root, 0o711) == 0 && chown(root, 65534, 65534) == 0)
        }
        let argv = [binPath("ukvm-oci"), "--root", root, "kill", "v1", "KILL"]
        let r = run(argv)
        #expect(r.status == 1, "\(r)")
        let why = how == "group-writable" ? "writable by its group or by others (mode 775)" : "owned by uid 65534"
        #expect(r.errorOutput.contains("--root \(root): \(why)"), "\(r)")
        #expect(victim.process.isRunning, "the victim was signalled")
        let d = run([binPath("ukvm-oci"), "--root", root, "delete", "--force", "v1"])
        #expect(d.status == 1 && FileManager.default.fileExists(atPath: root + "/v1/ukvm-oci.json"), "\(d)")
        // A root of one's own, 0711 or 0700, is taken.
        #expect(chown(root, 0, 0) == 0 && chmod(root, 0o700) == 0)
        #expect(run([binPath("ukvm-oci"), "--root", root, "list"]).status == 0)
    }
}
