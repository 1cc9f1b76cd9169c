// swift-tools-version:6.0
//
// Package.swift: the ukvm monitor (Swift) and its tests.
//
// No package dependencies: Glibc and the test libraries only. The monitor
// itself stays free of Foundation, because start-up time matters.
//
// The targets are layers; each depends only on layers below it, so that
// nothing below imports anything above (docs/architecture.md has the
// picture):
//
//   front ends   ukvm   solo5-elftool   ukvm-oci
//   runtime                              OCI (+ COCI)
//   monitor      Monitor (+ CSys)       ElfTool
//   machine      KVM            Image          JSON
//   shared       Support   CKVM   CNetIf
//
// Declarations other layers use are `package` (visible inside this
// package only), `public` only where the front ends' main.swift needs it.

import PackageDescription

// include/ holds the ABI headers that the guest kernel and the monitor share.
// CKVM's own C code finds them through headerSearchPath; Swift code that
// imports CKVM, directly or through a layer, needs the same path handed to
// clang, which SwiftPM does not pass on from a C target, hence the flag
// (absolute: the compiler's working directory is not the package's).
let abiHeaders = Context.packageDirectory + "/include"
let seesABIHeaders: [SwiftSetting] = [.unsafeFlags(["-Xcc", "-I" + abiHeaders])]

let package = Package(
    name: "ukvm",
    products: [
        .executable(name: "ukvm", targets: ["ukvm"]),
        .executable(name: "solo5-elftool", targets: ["solo5-elftool"]),
        .executable(name: "ukvm-oci", targets: ["ukvm-oci"]),
        // For the tests only (never installed): ukvm plus a forbidden call.
        .executable(name: "ukvm-sandbox-probe", targets: ["ukvm-sandbox-probe"]),
    ],
    targets: [
        // C shims, each thin. CKVM: <linux/kvm.h>, the ELF layout and the
        // ABI headers shared with the guest (include/ at the top of the tree).
        .target(
            name: "CKVM",
            cSettings: [.define("_GNU_SOURCE"), .headerSearchPath("../../include")]
        ),
        // Network interface and tap ioctls: the monitor's net module and
        // ukvm-oci both use them.
        .target(
            name: "CNetIf",
            cSettings: [.define("_GNU_SOURCE")]
        ),
        // The monitor's other host calls: waits, timers, the sandbox's calls,
        // the network ring's atomics, core file layouts.
        .target(
            name: "CSys",
            cSettings: [.define("_GNU_SOURCE")]
        ),
        // What every Swift layer shares: an argument's bytes, errno text,
        // the x86_64 facts, the version.
        .target(
            name: "Support",
            swiftSettings: seesABIHeaders
        ),
        // A JSON reader and writer (OCI specs and state, manifest.json).
        .target(
            name: "JSON"
        ),
        // The image layer: ELF, the notes, the manifest; what solo5-elftool
        // needs and nothing more.
        .target(
            name: "Image",
            dependencies: ["Support", "CKVM"],
            swiftSettings: seesABIHeaders
        ),
        // The KVM layer: KVM -> VM -> VCPU, each owning its descriptor.
        .target(
            name: "KVM",
            dependencies: ["Support", "CKVM"],
            swiftSettings: seesABIHeaders
        ),
        // The monitor: guest memory, modules, the run loop, the sandbox, the
        // debugger, the launch.
        .target(
            name: "Monitor",
            dependencies: ["Image", "KVM", "Support", "CKVM", "CSys", "CNetIf"],
            swiftSettings: seesABIHeaders
        ),
        // `ukvm`: main() calls the library and exits with what it returns.
        .executableTarget(
            name: "ukvm",
            dependencies: ["Monitor"],
            swiftSettings: seesABIHeaders
        ),
        // solo5-elftool's commands, on the image layer's parser.
        .target(
            name: "ElfTool",
            dependencies: ["Image", "JSON", "Support", "CKVM"],
            swiftSettings: seesABIHeaders
        ),
        // `solo5-elftool`: main() calls ElfTool and exits with what it returns.
        .executableTarget(
            name: "solo5-elftool",
            dependencies: ["ElfTool"],
            swiftSettings: seesABIHeaders
        ),
        // ukvm-oci's thin C shim: setns, openat2, SCM_RIGHTS, ptys
        // (docs/oci.md).
        .target(
            name: "COCI",
            cSettings: [.define("_GNU_SOURCE")]
        ),
        // The OCI runtime (runc's command line) and the OCI image writer,
        // built on the monitor library; Foundation-free like the monitor.
        .target(
            name: "OCI",
            dependencies: ["Monitor", "Image", "JSON", "Support", "COCI", "CNetIf"],
            swiftSettings: seesABIHeaders
        ),
        // `ukvm-oci`: main() calls the OCI library and exits with what it returns.
        .executableTarget(
            name: "ukvm-oci",
            dependencies: ["OCI"],
            swiftSettings: seesABIHeaders
        ),
        // The sandbox test's probe: the monitor, and one system call the
        // sandbox must stop (Tests/SandboxProbe/main.swift).
        .executableTarget(
            name: "ukvm-sandbox-probe",
            dependencies: ["Monitor", "CKVM"],
            path: "Tests/SandboxProbe",
            swiftSettings: seesABIHeaders
        ),
        // What both test targets share: processes, temporary files, network
        // namespaces, the built artefacts.
        .target(
            name: "TestSupport",
            path: "Tests/TestSupport"
        ),
        .testTarget(
            name: "MonitorTests",
            dependencies: ["Monitor", "Image", "KVM", "Support", "JSON", "ElfTool", "CKVM", "CSys", "CNetIf",
                           "OCI", "TestSupport"],
            swiftSettings: seesABIHeaders
        ),
        // Boots real guests through the built programs; it only runs processes.
        .testTarget(
            name: "IntegrationTests",
            dependencies: ["TestSupport"]
        ),
    ]
)
