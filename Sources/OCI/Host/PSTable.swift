// PSTable.swift: `ps` in table form, as runc prints it: the host's `ps`
// run with the caller's options, its header, and the lines whose PID
// column names one of the container's processes.

enum PSTable {
    static func lines(of pids: [Int32], arguments: [String]) throws(OCIError) -> String {
        guard let ps = Program.find("ps") else { throw OCIError("ps: not found (procps)") }
        let (status, output) = try Program.run([ps] + arguments)
        guard status == 0 else { throw OCIError("ps \(arguments.joined(separator: " ")): exit status \(status)") }
        let lines = output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard let header = lines.first,
              let column = header.split(separator: " ").firstIndex(of: "PID") else {
            throw OCIError("ps \(arguments.joined(separator: " ")): no PID column in its output")
        }
        let wanted = Set(pids)
        let rows = lines.dropFirst().filter { line in
            let fields = line.split(separator: " ")
            return fields.count > column && Int32(fields[column]).map(wanted.contains) == true
        }
        return ([header] + rows).joined(separator: "\n")
    }
}
