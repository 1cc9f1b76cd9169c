// swift-tools-version:6.0
//
// Package.swift: the ukvm monitor (Swift) and its tests.
//
// No package dependencies: Glibc and the test libraries only. The monitor
// itself stays free of Foundation, because start-up time matters.

import PackageDescription

let package = Package(
    name: "ukvm",
    products: [
        .executable(name: "ukvm", targets: ["Monitor"]),
    ],
    targets: [
        // Thin C shim: <linux/kvm.h>, tap and interface ioctls, and the ABI
        // header shared with the guest (include/ukvm_abi.h is a symlink to
        // kernel/ukvm/ukvm_abi.h, the one and only copy).
        .target(
            name: "CKVM",
            cSettings: [.define("_GNU_SOURCE")]
        ),
        .executableTarget(
            name: "Monitor",
            dependencies: ["CKVM"]
        ),
        .testTarget(
            name: "MonitorTests",
            dependencies: ["Monitor", "CKVM"]
        ),
        // Boots real guests through the ukvm binary; it only runs processes.
        .testTarget(
            name: "IntegrationTests",
            dependencies: ["Monitor"],
            path: "Tests/IntegrationTests"
        ),
    ]
)
