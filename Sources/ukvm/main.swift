// main.swift: the ukvm executable. Everything is in the Monitor library;
// Launch/ExitStatus.swift defines the exit statuses. The arguments go over
// as bytes (CommandLine.arguments would replace bytes that are not UTF-8).

import Glibc
import Monitor

let argv = (0..<Int(CommandLine.argc)).map { i -> [UInt8] in
    guard let arg = CommandLine.unsafeArgv[i] else { return [] }
    return Array(UnsafeBufferPointer(start: arg, count: strlen(arg))).map { UInt8(bitPattern: $0) }
}
exit(Ukvm.run(rawArguments: argv))
