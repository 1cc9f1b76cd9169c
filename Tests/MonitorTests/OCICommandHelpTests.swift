// OCICommandHelpTests.swift: every ukvm-oci command answers --help and -h
// with its usage and exit status 0, refused ones included; a flag after
// the first argument is not a request for help.

import Testing
@testable import OCI

@Suite struct OCICommandHelpTests {
    @Test func everyCommandAnswersHelp() {
        for command in Commands.all {
            for flag in ["--help", "-h"] {
                #expect(UkvmOCI.main(["ukvm-oci", "--root", "/nonexistent", command.name, flag]) == 0,
                        "\(command.name) \(flag)")
            }
            #expect(Commands.help(command).hasPrefix("usage: ukvm-oci "), "\(command.name)")
        }
        #expect(Commands.help(Commands.named("image")!).contains("--disk NAME=PATH"))
        #expect(Commands.help(Commands.named("exec")!).contains("refused by ukvm-oci"))
    }

    @Test func onlyFlagsBeforeTheArgumentsAskForHelp() {
        #expect(Commands.asksForHelp(["--bundle=x", "--help"]))
        #expect(!Commands.asksForHelp(["id", "--help"]))
        #expect(!Commands.asksForHelp(["--", "-h"]))
        #expect(Commands.asksForHelp(["--help=true"]))
    }
}
