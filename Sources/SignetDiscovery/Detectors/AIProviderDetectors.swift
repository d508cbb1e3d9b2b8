/// OpenAI and Anthropic API keys: metered spend and access to prompts, files and fine-tunes.
enum AIProviderDetectors: DetectorFamily {
    static let openAI = SecretDetector(
        id: "openai-api-key", kind: .apiToken, severity: .high, specificity: .structured,
        description: "OpenAI API key (sk-proj-/sk-svcacct-/sk-admin-, or legacy sk-… with the T3BlbkFJ marker).")
    static let anthropic = SecretDetector(
        id: "anthropic-api-key", kind: .apiToken, severity: .high, specificity: .structured,
        description: "Anthropic API key (sk-ant-…).")

    static var detectors: [SecretDetector] { [openAI, anthropic] }

    /// "T3BlbkFJ" is base64 for "OpenAI"; legacy keys embed it at a fixed offset.
    private static let openAIMarker = Array("T3BlbkFJ".utf8)

    static var anchorRules: [AnchorRule] {
        [
            .token(anthropic, prefix: "sk-ant-", body: .base64URL, length: 50...200),
            .token(openAI, prefix: "sk-proj-", body: .base64URL, length: 40...250),
            .token(openAI, prefix: "sk-svcacct-", body: .base64URL, length: 40...250),
            .token(openAI, prefix: "sk-admin-", body: .base64URL, length: 40...250),
            .token(openAI, prefix: "sk-", body: .alphanumeric, length: 48...48) { token in
                openAIMarker.elementsEqual(token[23..<31])
            },
        ]
    }
}
