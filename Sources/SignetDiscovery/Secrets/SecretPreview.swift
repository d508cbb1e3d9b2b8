/// Builds the redacted preview stored in findings.
///
/// At most four characters are shown at each end, and at most a fifth of the value at each end,
/// so a short password is not given away by its "preview" (`AKIA…XYZ4` for a 20-character AWS
/// key id, `…` alone under five characters). Non-printable bytes become `?`.
public enum SecretPreview {
    public static let ellipsis = "…"

    public static func redact<C: Collection>(_ secret: C) -> String where C.Element == UInt8 {
        let bytes = Array(secret)
        let visible = min(4, bytes.count / 5)
        guard visible > 0 else { return ellipsis }
        func printable(_ slice: ArraySlice<UInt8>) -> String {
            String(decoding: slice.map { (0x21...0x7E).contains($0) ? $0 : UInt8(ascii: "?") }, as: UTF8.self)
        }
        return printable(bytes.prefix(visible)) + ellipsis + printable(bytes.suffix(visible))
    }
}
