// main.swift: the solo5-elftool executable; everything is in the ElfTool
// library, on the image layer's parser (the monitor's own).

import ElfTool
import Glibc

exit(ElfTool.run(arguments: CommandLine.arguments))
