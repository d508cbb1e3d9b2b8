/// Stripe, Square and Shopify keys: direct access to money and customer data.
enum PaymentDetectors: DetectorFamily {
    static let stripeSecretKey = detector("stripe-secret-key", .critical, "Stripe live secret key (sk_live_…); full API access to the account.")
    static let stripeRestrictedKey = detector("stripe-restricted-key", .high, "Stripe live restricted key (rk_live_…).")
    static let stripeTestKey = detector("stripe-test-secret-key", .low, "Stripe test-mode secret key (sk_test_…); no real money, still an account credential.")
    static let stripeWebhookSecret = detector("stripe-webhook-secret", .medium, "Stripe webhook signing secret (whsec_…); lets an attacker forge webhook events.")
    static let squareAccessToken = detector("square-access-token", .critical, "Square access token (sq0atp-…).")
    static let squareOAuthSecret = detector("square-oauth-secret", .high, "Square OAuth application secret (sq0csp-…).")
    static let shopifyAccessToken = detector("shopify-access-token", .high, "Shopify Admin API access token (shpat_/shpca_/shppa_…).")
    static let shopifySharedSecret = detector("shopify-shared-secret", .high, "Shopify app shared secret (shpss_…).")

    private static func detector(_ id: String, _ severity: SecretSeverity, _ description: String) -> SecretDetector {
        SecretDetector(id: id, kind: .apiToken, severity: severity, specificity: .structured, description: description)
    }

    static var detectors: [SecretDetector] {
        [stripeSecretKey, stripeRestrictedKey, stripeTestKey, stripeWebhookSecret, squareAccessToken,
         squareOAuthSecret, shopifyAccessToken, shopifySharedSecret]
    }

    static var anchorRules: [AnchorRule] {
        [
            .token(stripeSecretKey, prefix: "sk_live_", body: .alphanumeric, length: 24...247),
            .token(stripeRestrictedKey, prefix: "rk_live_", body: .alphanumeric, length: 24...247),
            .token(stripeTestKey, prefix: "sk_test_", body: .alphanumeric, length: 24...247),
            .token(stripeWebhookSecret, prefix: "whsec_", body: ByteClass("A-Za-z0-9+/="), length: 32...88),
            .token(squareAccessToken, prefix: "sq0atp-", body: .base64URL, length: 22...22),
            .token(squareOAuthSecret, prefix: "sq0csp-", body: .base64URL, length: 43...43),
            .token(shopifyAccessToken, prefix: "shpat_", body: .hex, length: 32...32),
            .token(shopifyAccessToken, prefix: "shpca_", body: .hex, length: 32...32),
            .token(shopifyAccessToken, prefix: "shppa_", body: .hex, length: 32...32),
            .token(shopifySharedSecret, prefix: "shpss_", body: .hex, length: 32...32),
        ]
    }
}
