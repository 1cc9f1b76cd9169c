// DebugConfiguration.swift: the debugging options of one run (--gdb,
// --dumpcore), typed.

import Support

package struct DebugConfiguration: Equatable {
    /// The port gdb connects to on 127.0.0.1 (0: any free one); nil: no gdb.
    package var gdbPort: UInt16?
    /// The directory for core files, byte for byte; nil: none written.
    package var dumpDirectory: Argument?

    package init() {}
}
