// main.swift: the ukvm-oci executable, an OCI runtime with runc's command
// line. Everything is in the OCI library (docs/oci.md).

import Glibc
import OCI

exit(UkvmOCI.main(CommandLine.arguments))
