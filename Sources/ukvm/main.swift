// main.swift: the ukvm executable. Everything is in the Monitor library;
// Launch/ExitStatus.swift defines the exit statuses. The arguments go over
// as bytes: paths and the guest's command line need not be UTF-8.

import Glibc
import Monitor

exit(Ukvm.run(rawArguments: Ukvm.commandLineArguments))
