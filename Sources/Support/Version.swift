// Version.swift: the project's version, and upstream Solo5's release that
// ukvm stands in for; printed by ukvm --version and solo5-elftool.

package enum Version {
    /// The monitor's own version.
    package static let ukvm = "0.2.0"
    /// The upstream Solo5 release whose tender `solo5-hvt` stands in for.
    package static let upstream = "v0.12.1"
}
