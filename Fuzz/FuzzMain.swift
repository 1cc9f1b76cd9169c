// FuzzMain.swift: the libFuzzer entry points of build/fuzz/ukvm-fuzz
// (scripts/fuzz). The binary holds every target; UKVM_FUZZ_TARGET picks
// one. It is compiled together with the monitor's sources, as one module,
// so the targets call the monitor's own parsers and handlers, unchanged.
//
//   UKVM_FUZZ_TARGET=image       the image loader (FuzzImage.swift)
//   UKVM_FUZZ_TARGET=hypercalls  the hypercall handlers (FuzzHypercalls.swift)
//   UKVM_FUZZ_SEEDS=DIR          instead of fuzzing, write the target's
//                                seeds made by the project into DIR

import Glibc

/// A fuzz target: one input at a time.
protocol FuzzTarget {
    func run(_ input: UnsafeRawBufferPointer)
    /// Inputs the project makes as a starting point, by file name.
    func seeds() -> [(name: String, bytes: [UInt8])]
}

nonisolated(unsafe) private var target: FuzzTarget?

@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(_ argc: UnsafeMutablePointer<Int32>,
                           _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> Int32 {
    let name = getenv("UKVM_FUZZ_TARGET").map { String(cString: $0) } ?? ""
    switch name {
    case "image": target = FuzzImage()
    case "hypercalls": target = FuzzHypercalls()
    default:
        fputs("ukvm-fuzz: set UKVM_FUZZ_TARGET to image or hypercalls\n", stderr)
        exit(2)
    }
    if let dir = getenv("UKVM_FUZZ_SEEDS").map({ String(cString: $0) }) {
        for (file, bytes) in target!.seeds() { writeSeed(dir + "/" + file, bytes) }
        exit(0)
    }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    target?.run(UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : size))
    return 0
}

private func writeSeed(_ path: String, _ bytes: [UInt8]) {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard fd >= 0, bytes.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) == bytes.count else {
        fputs("ukvm-fuzz: cannot write \(path)\n", stderr)
        exit(1)
    }
    close(fd)
}
