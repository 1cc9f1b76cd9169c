enum ImageCommand {
    static func run(_ p: ParsedFlags) throws(OCIError) {
        throw OCIError("image: not yet")
    }
}
