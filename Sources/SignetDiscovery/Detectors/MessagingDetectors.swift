/// Twilio, SendGrid, Mailgun and Mailchimp: credentials that send SMS and e-mail as the company.
enum MessagingDetectors: DetectorFamily {
    static let twilioAPIKey = detector("twilio-api-key", .structured, "Twilio API key SID (SK + 32 hex); paired with its secret it calls the API.")
    static let twilioAuthToken = detector("twilio-auth-token", .contextual, "Twilio account auth token (32 hex next to a Twilio setting); master credential of the account.")
    static let sendgridAPIKey = detector("sendgrid-api-key", .structured, "SendGrid API key (SG.<id>.<secret>).")
    static let mailgunAPIKey = detector("mailgun-api-key", .structured, "Mailgun private API key (key-<32 hex>).")
    static let mailchimpAPIKey = detector("mailchimp-api-key", .structured, "Mailchimp API key (<32 hex>-us<datacenter>).")

    private static func detector(_ id: String, _ specificity: SecretSpecificity, _ description: String) -> SecretDetector {
        SecretDetector(id: id, kind: .apiToken, severity: .high, specificity: specificity, description: description)
    }

    static var detectors: [SecretDetector] {
        [twilioAPIKey, twilioAuthToken, sendgridAPIKey, mailgunAPIKey, mailchimpAPIKey]
    }

    static var anchorRules: [AnchorRule] {
        [
            .token(twilioAPIKey, prefix: "SK", body: .lowerHex, length: 32...32),
            .token(sendgridAPIKey, prefix: "SG.", body: ByteClass("A-Za-z0-9_.-"), length: 66...66) { token in
                token[3 + 22] == UInt8(ascii: ".")
            },
            // `key-` also ends words such as `cache-key-…`, so the byte before must not be a separator.
            AnchorRule("key-") { input, at in
                guard !ByteClass.base64URL.contains(input.byte(at - 1)),
                      input.run(of: .lowerHex, from: at + 4, limit: 33) == 32,
                      !ByteClass.alphanumeric.contains(input.byte(at + 36)) else { return nil }
                return RuleMatch(mailgunAPIKey, start: at, secret: at..<(at + 36))
            },
            AnchorRule("-us") { input, at in
                let datacenter = input.run(of: .digits, from: at + 3, limit: 3)
                guard (1...2).contains(datacenter), !ByteClass.alphanumeric.contains(input.byte(at + 3 + datacenter)),
                      input.runBackward(of: .lowerHex, before: at, limit: 33) == 32,
                      !ByteClass.alphanumeric.contains(input.byte(at - 33)) else { return nil }
                return RuleMatch(mailchimpAPIKey, start: at - 32, secret: (at - 32)..<(at + 3 + datacenter))
            },
        ]
    }

    static var assignmentRules: [AssignmentRule] {
        [AssignmentRule { a in
            guard a.keyContains("twilio"), a.keyContains("token") || a.keyContains("auth") || a.keyContains("secret"),
                  a.valueLength == 32, a.valueAll(.lowerHex) else { return nil }
            return a.match(twilioAuthToken)
        }]
    }
}
