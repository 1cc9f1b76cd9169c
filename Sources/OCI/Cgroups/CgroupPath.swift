// CgroupPath.swift: where a container's cgroup is, from linux.cgroupsPath,
// as runc names it.
//
//   cgroupfs (default)  "/a/b": that path from each hierarchy's root;
//                       "a/b": below the cgroup ukvm-oci runs in;
//                       empty: "/ID".
//   --systemd-cgroup    "SLICE:PREFIX:NAME": the scope PREFIX-NAME.scope in
//                       the slice, each "-" of the slice's name one level
//                       ("kubepods-burstable.slice" is
//                       /kubepods.slice/kubepods-burstable.slice); empty:
//                       "system.slice:ukvm-oci:ID". Without systemd running,
//                       that path is made through cgroupfs: the cgroup runc's
//                       systemd driver would get, so the engine's view of
//                       its tree holds. Under a running systemd it is
//                       refused: placing a process in systemd's tree without
//                       asking it (D-Bus, which ukvm-oci does not speak)
//                       would be undone by systemd.

enum CgroupPath {
    /// The cgroup's path from a hierarchy's root ("/a/b"); `own` is the
    /// path of the cgroup ukvm-oci is in, for relative paths.
    static func resolve(_ cgroupsPath: String?, id: String, systemd: Bool, own: String) throws(OCIError) -> String {
        let text = cgroupsPath ?? ""
        if systemd { return try systemdPath(text.isEmpty ? "system.slice:ukvm-oci:\(id)" : text) }
        if text.isEmpty { return "/" + id }
        let clean = try components(text)
        guard !clean.isEmpty else { throw OCIError("linux.cgroupsPath \"\(text)\": names no cgroup") }
        return text.hasPrefix("/") ? "/" + clean.joined(separator: "/")
                                   : "/" + (try components(own) + clean).joined(separator: "/")
    }

    /// A path's parts without "" and "."; ".." is refused (it could climb
    /// out of the hierarchy the engine chose).
    static func components(_ path: String) throws(OCIError) -> [String] {
        let parts = path.split(separator: "/").map(String.init).filter { $0 != "." }
        guard !parts.contains("..") else { throw OCIError("linux.cgroupsPath \"\(path)\": \"..\" is not allowed") }
        return parts
    }

    /// "SLICE:PREFIX:NAME" as runc's systemd driver places it.
    static func systemdPath(_ text: String) throws(OCIError) -> String {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3, !parts[2].isEmpty, !text.contains("/") else {
            throw OCIError("linux.cgroupsPath \"\(text)\": with --systemd-cgroup, expected \"slice:prefix:name\"")
        }
        let slice = try expandSlice(parts[0].isEmpty ? "system.slice" : parts[0])
        let unit = parts[2].hasSuffix(".slice") ? parts[2]
            : (parts[1].isEmpty ? parts[2] : parts[1] + "-" + parts[2]) + ".scope"
        return (slice == "/" ? "" : slice) + "/" + unit
    }

    /// "a-b-c.slice" is /a.slice/a-b.slice/a-b-c.slice; "-.slice" is "/".
    static func expandSlice(_ slice: String) throws(OCIError) -> String {
        if slice == "-.slice" { return "/" }
        guard slice.hasSuffix(".slice"), !slice.contains("/") else {
            throw OCIError("linux.cgroupsPath: \"\(slice)\" is not a systemd slice name (NAME.slice)")
        }
        let name = slice.dropLast(".slice".count)
        let words = name.split(separator: "-", omittingEmptySubsequences: false)
        guard !words.contains(where: \.isEmpty) else {
            throw OCIError("linux.cgroupsPath: slice \"\(slice)\" has an empty part between dashes")
        }
        var path = "", prefix = ""
        for w in words {
            prefix += prefix.isEmpty ? String(w) : "-" + w
            path += "/" + prefix + ".slice"
        }
        return path
    }
}
