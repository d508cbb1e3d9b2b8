/// Slack, Discord and Telegram credentials: bots that can read and post in an organisation's chat.
enum ChatDetectors: DetectorFamily {
    static let slackBotToken = token("slack-bot-token", "Slack bot token (xoxb-…).")
    static let slackUserToken = token("slack-user-token", "Slack user token (xoxp-…); acts as the user who installed the app.")
    static let slackAppToken = token("slack-app-token", "Slack app-level token (xapp-…).")
    static let slackLegacyToken = token("slack-legacy-token", "Slack legacy or workspace token (xoxa-/xoxr-/xoxs-/xoxo-…).")
    static let slackWebhook = token("slack-webhook-url", "Slack incoming webhook URL; anyone holding it can post to the channel.")
    static let discordBotToken = token("discord-bot-token", "Discord bot token (base64 user id . timestamp . HMAC).")
    static let discordWebhook = token("discord-webhook-url", "Discord webhook URL with its token.")
    static let telegramBotToken = token("telegram-bot-token", "Telegram Bot API token (bot id:AA…).")

    private static func token(_ id: String, _ description: String) -> SecretDetector {
        SecretDetector(id: id, kind: .apiToken, severity: .high, specificity: .structured, description: description)
    }

    static var detectors: [SecretDetector] {
        [slackBotToken, slackUserToken, slackAppToken, slackLegacyToken, slackWebhook, discordBotToken,
         discordWebhook, telegramBotToken]
    }

    private static let slackBody = ByteClass("A-Za-z0-9-")

    /// Slack tokens are `prefix-<number>-<number>-…`: require the numeric team/user parts.
    private static func hasNumericParts(_ count: Int) -> @Sendable (UnsafeBufferPointer<UInt8>) -> Bool {
        { token in
            let parts = token.split(separator: UInt8(ascii: "-"), omittingEmptySubsequences: false)
            guard parts.count >= count + 2 else { return false }
            return parts[1...count].allSatisfy { part in part.count >= 6 && part.allSatisfy(ByteClass.digits.contains) }
        }
    }

    static var anchorRules: [AnchorRule] {
        var rules: [AnchorRule] = [
            .token(slackBotToken, prefix: "xoxb-", body: slackBody, length: 20...255, check: hasNumericParts(2)),
            .token(slackUserToken, prefix: "xoxp-", body: slackBody, length: 20...255, check: hasNumericParts(2)),
            .token(slackAppToken, prefix: "xapp-", body: slackBody, length: 30...255) { token in
                let parts = token.split(separator: UInt8(ascii: "-"))
                return parts.count >= 4 && parts[1].allSatisfy(ByteClass.digits.contains)
            },
        ]
        rules += ["xoxa-", "xoxr-", "xoxs-", "xoxo-"].map {
            AnchorRule.token(slackLegacyToken, prefix: $0, body: slackBody, length: 20...255)
        }
        // Discord bot tokens start with the base64 of the bot's numeric id; ids begin with 1-9, whose
        // base64 forms begin MT, Mj, Mz, ND, NT, Nj, Nz, OD, OT.
        rules += ["MT", "Mj", "Mz", "ND", "NT", "Nj", "Nz", "OD", "OT"].map { AnchorRule($0, match: discordBotToken) }
        rules.append(AnchorRule(":AA", match: telegramBotToken))
        return rules
    }

    private static func discordBotToken(_ input: ScanInput, _ at: Int) -> RuleMatch? {
        guard !ByteClass.base64URL.contains(input.byte(at - 1)) else { return nil }
        let idLength = input.run(of: .alphanumeric, from: at, limit: 29)
        guard (23...28).contains(idLength), input.byte(at + idLength) == UInt8(ascii: ".") else { return nil }
        let timestampStart = at + idLength + 1
        let timestampLength = input.run(of: .base64URL, from: timestampStart, limit: 8)
        guard (6...7).contains(timestampLength),
              input.byte(timestampStart + timestampLength) == UInt8(ascii: ".") else { return nil }
        let macStart = timestampStart + timestampLength + 1
        let macLength = input.run(of: .base64URL, from: macStart, limit: 41)
        guard (27...40).contains(macLength) else { return nil }
        guard let id = Base64.decode(input.slice(at..<(at + idLength))),
              (17...20).contains(id.count), id.allSatisfy(ByteClass.digits.contains) else { return nil }
        return RuleMatch(discordBotToken, start: at, secret: at..<(macStart + macLength))
    }

    private static func telegramBotToken(_ input: ScanInput, _ at: Int) -> RuleMatch? {
        let idLength = input.runBackward(of: .digits, before: at, limit: 11)
        guard (8...10).contains(idLength), !ByteClass.word.contains(input.byte(at - idLength - 1)) else { return nil }
        let secretLength = input.run(of: .base64URL, from: at + 1, limit: 36)
        guard secretLength == 35 else { return nil }
        return RuleMatch(telegramBotToken, start: at - idLength, secret: (at - idLength)..<(at + 1 + secretLength))
    }

    static var urlRules: [URLRule] {
        [
            URLRule { url in
                guard url.schemeIs("https") || url.schemeIs("http"), url.hostContains("hooks.slack.com"),
                      url.restHasPrefix("/services/T") || url.restHasPrefix("/workflows/T") else { return nil }
                let parts = url.input.slice(url.rest).split(separator: UInt8(ascii: "/"))
                guard parts.count >= 4, let secret = parts.last, secret.count >= 20,
                      secret.allSatisfy(ByteClass.alphanumeric.contains) else { return nil }
                return RuleMatch(slackWebhook, start: url.schemeStart, secret: url.rest)
            },
            URLRule { url in
                guard url.schemeIs("https"), url.hostContains("discord"), url.restHasPrefix("/api/webhooks/")
                else { return nil }
                let parts = url.input.slice(url.rest).split(separator: UInt8(ascii: "/"))
                guard parts.count == 4, (17...20).contains(parts[2].count), parts[2].allSatisfy(ByteClass.digits.contains),
                      (60...70).contains(parts[3].count), parts[3].allSatisfy(ByteClass.base64URL.contains)
                else { return nil }
                return RuleMatch(discordWebhook, start: url.schemeStart, secret: url.rest)
            },
        ]
    }
}
