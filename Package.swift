// swift-tools-version:6.0
//
// Package.swift: the ukvm monitor (Swift) and its tests.
//
// No package dependencies: Glibc and the test libraries only. The monitor
// itself stays free of Foundation, because start-up time matters.

import PackageDescription

// include/ holds the ABI headers that the guest kernel and the monitor share.
// CKVM's own C code finds them through headerSearchPath; Swift code that
// imports CKVM needs the same path handed to clang, which SwiftPM does not
// pass on from a C target, hence the flag (absolute: the compiler's working
// directory is not the package's).
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
        // Thin C shim: <linux/kvm.h>, tap and interface ioctls, and the ABI
        // headers shared with the guest, include/ at the top of the tree.
        .target(
            name: "CKVM",
            cSettings: [.define("_GNU_SOURCE"), .headerSearchPath("../../include")]
        ),
        // The monitor: everything but the entry point.
        .target(
            name: "Monitor",
            dependencies: ["CKVM"],
            swiftSettings: seesABIHeaders
        ),
        // `ukvm`: main() calls the library and exits with what it returns.
        .executableTarget(
            name: "ukvm",
            dependencies: ["Monitor"],
            swiftSettings: seesABIHeaders
        ),
        // `solo5-elftool`: upstream's image tool, on the monitor's parser.
        .executableTarget(
            name: "solo5-elftool",
            dependencies: ["Monitor"],
            swiftSettings: seesABIHeaders
        ),
        // ukvm-oci's thin C shim: setns, openat2, SCM_RIGHTS, ptys, interface
        // ioctls (docs/oci.md).
        .target(
            name: "COCI",
            cSettings: [.define("_GNU_SOURCE")]
        ),
        // The OCI runtime (runc's command line) and the OCI image writer,
        // built on the monitor library; Foundation-free like the monitor.
        .target(
            name: "OCI",
            dependencies: ["Monitor", "CKVM", "COCI"],
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
            dependencies: ["Monitor", "CKVM", "OCI", "TestSupport"],
            swiftSettings: seesABIHeaders
        ),
        // Boots real guests through the built programs; it only runs processes.
        .testTarget(
            name: "IntegrationTests",
            dependencies: ["TestSupport"]
        ),
    ]
)
