// main.swift: the ukvm monitor's entry point.
//
// Exit codes:
//   0...255  the guest's HALT exit_status (solo5_exit(status)), truncated to
//            0..255 by the OS; by convention 0 success, 1 failure, 255 abort
//   125      the monitor could not start: usage, image, devices, KVM setup
//   126      guest fault detected by the monitor: invalid hypercall port,
//            direction or size, a hypercall argument outside guest memory,
//            triple fault (KVM_EXIT_SHUTDOWN), KVM_EXIT_INTERNAL_ERROR,
//            KVM_EXIT_FAIL_ENTRY, hlt, MMIO to unmapped memory, any other exit
//   127      host error at run time: KVM_RUN failed, console write failed
//   128+N    stopped by signal N (SIGTERM, SIGINT, SIGHUP), devices synced
// Every failure prints one line on stderr starting with "ukvm: ".

Monitor.main(CommandLine.arguments)
