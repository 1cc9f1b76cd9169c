// main.swift: the ukvm executable. Everything is in the Monitor library;
// Launch/ExitStatus.swift defines the exit statuses.

import Glibc
import Monitor

exit(Ukvm.run(arguments: CommandLine.arguments))
