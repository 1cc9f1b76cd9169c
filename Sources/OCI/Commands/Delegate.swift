// Delegate.swift: Linux containers go to runc. A Kubernetes pod runs its
// sandbox ("pause") container with the pod's runtime, so a node whose
// RuntimeClass handler is ukvm-oci must run that Linux program too: create
// hands a container whose annotations mark it as a CRI sandbox to runc
// (exec, same arguments), and every later command for an ID that is runc's
// (ROOT/ID/state.json, not our ukvm-oci.json) goes to runc as well. Both
// share --root: runc's files and ours have different names.

import Glibc

enum Delegate {
    /// Annotations with which CRI implementations mark a pod's sandbox.
    static let sandboxAnnotations = [("io.kubernetes.cri.container-type", "sandbox"),
                                     ("io.kubernetes.cri-o.ContainerType", "sandbox")]

    /// Whether `spec` is a pod sandbox, which runc runs.
    static func isSandbox(_ spec: RuntimeSpec) -> Bool {
        sandboxAnnotations.contains { spec.annotation($0.0) == $0.1 }
    }

    /// Whether ROOT/ID is one of runc's containers.
    static func isRuncs(_ id: String, store: StateStore) -> Bool {
        !store.isOurs(id) && Files.exists(store.directory(id) + "/state.json")
    }

    /// runc: $UKVM_OCI_RUNC, else runc on PATH or in the sbin directories.
    static func runcPath() throws(OCIError) -> String {
        if let p = getenv("UKVM_OCI_RUNC") { return String(cString: p) }
        guard let p = Program.find("runc") else {
            throw OCIError("this container is a Linux program (a pod sandbox), which ukvm-oci hands to runc, "
                + "but runc is not installed (or set UKVM_OCI_RUNC)")
        }
        return p
    }

    /// Replaces this process with runc, given our own arguments.
    static func exec(_ argv: [String]) throws(OCIError) -> Never {
        let runc = try runcPath()
        var cArgs = ([runc] + argv.dropFirst()).map { strdup($0) } + [nil]
        execv(runc, &cArgs)
        let e = errno
        for p in cArgs { free(p) }
        throw .system("exec \(runc)", errno: e)
    }
}
