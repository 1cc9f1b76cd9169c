// ContainerState.swift: what ukvm-oci keeps about a container, in
// ROOT/ID/ukvm-oci.json, written once at create: it outlives the runtime's
// own processes, and every later command reads it. The file's name tells
// our containers from runc's in a shared root (Commands/Delegate.swift).
//
// The status is never stored: it is read from the world (runc does the
// same): the process gone (or its PID reused) = stopped; the start FIFO
// still there = created; else running.

import Glibc
import JSON
import Monitor

struct ContainerState: Equatable {
    static let fileName = "ukvm-oci.json"
    static let fifoName = "exec.fifo"

    var id: String
    var pid: Int32
    /// The process's start time (/proc/PID/stat field 22): tells a reused
    /// PID from ours.
    var startTime: UInt64
    var bundle: String
    var rootfs: String
    var created: String
    var annotations: [(String, String)]
    /// The network namespace joined, if any, and the interfaces whose
    /// traffic is redirected to the guest (cleaned up at delete).
    var netns: String?
    var interfaces: [String]
    /// The container's cgroup (its path from the hierarchy's root, and the
    /// cgroup version), and the guest's memory, which `update` keeps the
    /// limit above. Absent from the state of containers made before them.
    var cgroupPath: String?
    var cgroupVersion: Int?
    var memoryMiB: UInt64?

    static func == (a: ContainerState, b: ContainerState) -> Bool {
        a.json == b.json
    }

    enum Status: String {
        case created
        case running
        case paused
        case stopped
    }

    var json: JSON {
        .object([
            ("id", .string(id)), ("pid", .int(pid)), ("startTime", .int(startTime)),
            ("bundle", .string(bundle)), ("rootfs", .string(rootfs)), ("created", .string(created)),
            ("annotations", .object(annotations.map { ($0.0, .string($0.1)) })),
            ("netns", netns.map { .string($0) } ?? .null),
            ("interfaces", .array(interfaces.map { .string($0) })),
            ("cgroupPath", cgroupPath.map { .string($0) } ?? .null),
            ("cgroupVersion", cgroupVersion.map { .int($0) } ?? .null),
            ("memoryMiB", memoryMiB.map { .int($0) } ?? .null),
        ])
    }

    init(id: String, pid: Int32, startTime: UInt64, bundle: String, rootfs: String, created: String,
         annotations: [(String, String)], netns: String?, interfaces: [String],
         cgroup: CgroupManager? = nil, memoryMiB: UInt64? = nil) {
        self.id = id
        self.pid = pid
        self.startTime = startTime
        self.bundle = bundle
        self.rootfs = rootfs
        self.created = created
        self.annotations = annotations
        self.netns = netns
        self.interfaces = interfaces
        self.cgroupPath = cgroup?.path
        self.cgroupVersion = cgroup?.version
        self.memoryMiB = memoryMiB
    }

    init(json: JSON) throws(OCIError) {
        guard let id = json["id"]?.string, let pid = json["pid"]?.int64, pid > 0, pid <= Int64(Int32.max),
              let startTime = json["startTime"]?.uint64, let bundle = json["bundle"]?.string,
              let rootfs = json["rootfs"]?.string, let created = json["created"]?.string,
              let annotations = json["annotations"]?.object, let interfaces = json["interfaces"]?.array else {
            throw OCIError("state file is malformed")
        }
        self.init(id: id, pid: Int32(pid), startTime: startTime, bundle: bundle, rootfs: rootfs,
                  created: created, annotations: annotations.map { ($0.0, $0.1.string ?? "") },
                  netns: json["netns"]?.string, interfaces: interfaces.compactMap(\.string))
        cgroupPath = json["cgroupPath"]?.string
        cgroupVersion = json["cgroupVersion"]?.int64.flatMap { $0 == 1 || $0 == 2 ? Int($0) : nil }
        memoryMiB = json["memoryMiB"]?.uint64
    }

    /// The OCI state (runtime spec, "State"), as `state` prints it.
    func ociState(status: Status) -> JSON {
        .object([
            ("ociVersion", .string(OCIVersion.spec)), ("id", .string(id)), ("status", .string(status.rawValue)),
            ("pid", .int(status == .stopped ? 0 : pid)), ("bundle", .string(bundle)),
            ("rootfs", .string(rootfs)), ("created", .string(created)), ("owner", .string("")),
            ("annotations", .object(annotations.map { ($0.0, .string($0.1)) })),
        ])
    }
}

enum OCIVersion {
    /// The runtime spec version ukvm-oci follows.
    static let spec = "1.0.2"
    static let runtime = "0.1.0"
}
