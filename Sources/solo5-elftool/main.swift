// main.swift: the solo5-elftool executable; everything is in the Monitor
// library (Tools/ElfTool.swift), which holds the one image parser.

import Glibc
import Monitor

exit(ElfTool.run(arguments: CommandLine.arguments))
