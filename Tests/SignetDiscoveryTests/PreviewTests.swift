import SignetDiscovery
import Testing

@Suite("Redacted previews")
struct PreviewTests {
    @Test("long secrets show at most four characters at each end")
    func longSecret() {
        #expect(SecretPreview.redact(Array("AKIAABCDEFGHIJKLXYZ4".utf8)) == "AKIA…XYZ4")
    }

    @Test("short secrets show at most a fifth of their characters at each end", arguments: [3, 6, 8, 11, 12, 17, 24, 100])
    func shortSecrets(length: Int) {
        let secret = Array(String(repeating: "k", count: length).utf8)
        let preview = SecretPreview.redact(secret)
        let visible = preview.replacingOccurrences(of: "…", with: "").count
        #expect(visible <= min(8, 2 * (length / 5)))
        #expect(preview.contains("…"))
    }
}
