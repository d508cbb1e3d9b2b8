import Testing
@testable import SignetCore

/// The vectors of CONFORMANCE §1 (from the SPIFFE-ID standard).
struct SPIFFEIDTests {
    @Test(arguments: [
        "spiffe://staging.example.com/payments/mysql", "spiffe://td", "spiffe://td/.path", "spiffe://td/...",
        "spiffe://a-b_c.d/E/f_G-h.9", "spiffe://td/a/b/c",
    ])
    func acceptsValid(_ text: String) throws {
        let id = try SPIFFEID(text)
        #expect(id.description == text)
    }

    @Test(arguments: [
        ("", SPIFFEIDError.empty),
        ("spiffe:/", .wrongScheme("spiffe:/")),
        ("Spiffe://td", .wrongScheme("Spiffe://td")),
        ("https://td/x", .wrongScheme("https://td/x")),
        ("spiffe://", .missingTrustDomain("spiffe://")),
        ("spiffe:///path", .missingTrustDomain("spiffe:///path")),
        ("spiffe://td/", .trailingSlash("spiffe://td/")),
        ("spiffe://td/x/", .trailingSlash("spiffe://td/x/")),
        ("spiffe://td//path", .emptySegment("spiffe://td//path")),
        ("spiffe://td/./x", .dotSegment("spiffe://td/./x")),
        ("spiffe://td/x/../y", .dotSegment("spiffe://td/x/../y")),
        ("spiffe://td/x/..", .dotSegment("spiffe://td/x/..")),
        ("spiffe://%62ad/p", .percentEncoded("spiffe://%62ad/p")),
        ("spiffe://td/%62ad", .percentEncoded("spiffe://td/%62ad")),
        ("spiffe://trust$domain", .invalidTrustDomainCharacter("spiffe://trust$domain", "$")),
        ("spiffe://td:80/x", .portNotAllowed("spiffe://td:80/x")),
        ("spiffe://u@td/x", .userInfoNotAllowed("spiffe://u@td/x")),
        ("spiffe://td/x?q", .queryNotAllowed("spiffe://td/x?q")),
        ("spiffe://td/x#f", .fragmentNotAllowed("spiffe://td/x#f")),
        ("spiffe://TD/x", .trustDomainNotLowercase("spiffe://TD/x")),
        ("spiffe://td/a b", .invalidPathCharacter("spiffe://td/a b", " ")),
    ] as [(String, SPIFFEIDError)])
    func rejectsInvalid(_ text: String, _ expected: SPIFFEIDError) {
        #expect(throws: expected) { try SPIFFEID(text) }
        // Every message quotes the input so the user sees what to fix.
        if !text.isEmpty { #expect(expected.description.contains(text)) }
    }

    @Test func lengthLimits() throws {
        let longPath = "/" + String(repeating: "a", count: SPIFFEID.maxLength - "spiffe://td/".count)
        _ = try SPIFFEID("spiffe://td" + longPath)
        #expect(throws: SPIFFEIDError.self) { try SPIFFEID("spiffe://td" + longPath + "a") }
        let longDomain = String(repeating: "a", count: 256)
        #expect(throws: SPIFFEIDError.trustDomainTooLong("spiffe://\(longDomain)")) { try SPIFFEID("spiffe://\(longDomain)") }
    }

    @Test func trustDomainParsing() throws {
        #expect(try TrustDomain("example.org").idString == "spiffe://example.org")
        #expect(try TrustDomain("spiffe://example.org").name == "example.org")
        #expect(throws: SPIFFEIDError.self) { try TrustDomain("spiffe://example.org/x") }
        #expect(throws: SPIFFEIDError.self) { try TrustDomain("Example.org") }
        #expect(throws: SPIFFEIDError.self) { try TrustDomain("") }
    }

    @Test func prefixRelation() throws {
        let base = try SPIFFEID("spiffe://td/a")
        #expect(try SPIFFEID("spiffe://td/a/b").isUnder(base))
        #expect(try SPIFFEID("spiffe://td/a").isUnder(base))
        #expect(try !SPIFFEID("spiffe://td/ab").isUnder(base))
        #expect(try !SPIFFEID("spiffe://other/a/b").isUnder(base))
    }

    @Test func codableRoundTripAndRejection() throws {
        let id = try SPIFFEID("spiffe://td/x")
        let data = try JSONEncoder().encode([id])
        #expect(String(decoding: data, as: UTF8.self) == #"["spiffe:\/\/td\/x"]"#)
        #expect(try JSONDecoder().decode([SPIFFEID].self, from: data) == [id])
        #expect(throws: (any Error).self) { try JSONDecoder().decode([SPIFFEID].self, from: Data(#"["spiffe://td/"]"#.utf8)) }
    }
}

import Foundation
