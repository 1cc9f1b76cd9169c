// StateStore.swift: ROOT/ID directories: creating one exclusively, loading
// a container's state, its status, and removing it.

import Glibc
import JSON
import Monitor

struct StateStore {
    let root: String

    /// Container IDs: what runc accepts, and nothing that could climb out
    /// of the root.
    static func validate(_ id: String) throws(OCIError) {
        let ok = !id.isEmpty && id.utf8.count <= 1024 && id != "." && id != ".."
            && id.utf8.allSatisfy { c in
                (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)
                    || c == UInt8(ascii: "_") || c == UInt8(ascii: "-") || c == UInt8(ascii: ".")
                    || c == UInt8(ascii: "+")
            }
        guard ok else { throw OCIError("invalid container id \"\(id)\": use letters, digits, '_', '-', '.', '+'") }
    }

    func directory(_ id: String) -> String { root + "/" + id }
    func stateFile(_ id: String) -> String { directory(id) + "/" + ContainerState.fileName }
    func fifo(_ id: String) -> String { directory(id) + "/" + ContainerState.fifoName }

    /// Creates ROOT/ID; fails if the container exists.
    func create(_ id: String) throws(OCIError) {
        try Files.makeDirectories(root, mode: 0o711)
        try RootDirectory.check(root)
        guard mkdir(directory(id), 0o700) == 0 else {
            if errno == EEXIST { throw OCIError("container \"\(id)\" already exists") }
            throw .system(directory(id), errno: errno)
        }
    }

    /// Whether ROOT/ID holds one of our containers.
    func isOurs(_ id: String) -> Bool { Files.exists(stateFile(id)) }

    func save(_ state: ContainerState) throws(OCIError) {
        try Files.writeAtomically(stateFile(state.id), state.json.serialized + "\n")
    }

    func load(_ id: String) throws(OCIError) -> ContainerState {
        try StateStore.validate(id)
        let bytes: [UInt8]
        do throws(OCIError) {
            bytes = try Files.read(stateFile(id), limit: 1 << 20)
        } catch {
            throw .noSuchContainer(id)
        }
        let json: JSON
        do throws(JSONError) {
            json = try JSON.parse(bytes)
        } catch {
            throw OCIError("\(stateFile(id)): \(error)")
        }
        return try ContainerState(json: json)
    }

    func status(_ state: ContainerState) -> ContainerState.Status {
        guard HostProcess.isAlive(pid: state.pid, startTime: state.startTime) else { return .stopped }
        if Files.exists(fifo(state.id)) { return .created }
        return state.cgroup?.isFrozen == true ? .paused : .running
    }

    func remove(_ id: String) throws(OCIError) {
        try Files.removeTree(directory(id))
    }

    /// Every container ID under the root that is ours.
    func ids() -> [String] {
        Files.list(root).filter { isOurs($0) }
    }
}
