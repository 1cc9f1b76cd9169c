// GDBTargetDescription.swift: the target description gdb reads with
// qXfer:features:read:target.xml: the architecture (i386:x86-64) and every
// register of GDBRegisters, grouped in their features, with the numbers
// the `g`, `p` and `P` packets use. Built once from the register table, so
// the two cannot disagree.

enum GDBTargetDescription {
    static let annex = "target.xml"

    /// The types the registers use that gdb does not predefine.
    private static let types: [GDBRegisters.Feature: String] = [
        .core: """
              <flags id="x86_eflags" size="4">
                <field name="CF" start="0" end="0"/>
                <field name="PF" start="2" end="2"/>
                <field name="AF" start="4" end="4"/>
                <field name="ZF" start="6" end="6"/>
                <field name="SF" start="7" end="7"/>
                <field name="TF" start="8" end="8"/>
                <field name="IF" start="9" end="9"/>
                <field name="DF" start="10" end="10"/>
                <field name="OF" start="11" end="11"/>
                <field name="NT" start="14" end="14"/>
                <field name="RF" start="16" end="16"/>
                <field name="AC" start="18" end="18"/>
                <field name="ID" start="21" end="21"/>
              </flags>

            """,
        .sse: """
              <vector id="v4f" type="ieee_single" count="4"/>
              <vector id="v2d" type="ieee_double" count="2"/>
              <vector id="v16i8" type="int8" count="16"/>
              <vector id="v8i16" type="int16" count="8"/>
              <vector id="v4i32" type="int32" count="4"/>
              <vector id="v2i64" type="int64" count="2"/>
              <union id="vec128">
                <field name="v4_float" type="v4f"/>
                <field name="v2_double" type="v2d"/>
                <field name="v16_int8" type="v16i8"/>
                <field name="v8_int16" type="v8i16"/>
                <field name="v4_int32" type="v4i32"/>
                <field name="v2_int64" type="v2i64"/>
                <field name="uint128" type="uint128"/>
              </union>

            """,
    ]

    /// The document, as bytes.
    static let xml: [UInt8] = {
        var text = """
            <?xml version="1.0"?>
            <!DOCTYPE target SYSTEM "gdb-target.dtd">
            <target version="1.0">
              <architecture>i386:x86-64</architecture>

            """
        var current: GDBRegisters.Feature?
        for (n, r) in GDBRegisters.all.enumerated() {
            if r.feature != current {
                if current != nil { text += "  </feature>\n" }
                current = r.feature
                text += "  <feature name=\"\(r.feature.rawValue)\">\n" + (types[r.feature] ?? "")
            }
            text += "    <reg name=\"\(r.name)\" bitsize=\"\(r.bits)\" type=\"\(r.type)\" regnum=\"\(n)\""
            if let group = r.group { text += " group=\"\(group)\"" }
            text += "/>\n"
        }
        text += "  </feature>\n</target>\n"
        return Array(text.utf8)
    }()
}
