import Foundation
import GRPCCore
import SignetCore
import SignetPKI
import SwiftProtobuf
import Testing

@testable import SignetAgent

#if canImport(Glibc)
import Glibc
#endif

/// FetchJWTSVID and ValidateJWTSVID.
@Suite struct WorkloadAPIJWTTests {
    let uid = getuid()
    var otherUID: UInt32 { uid == 65534 ? 65533 : 65534 }

    func token(
        _ fixture: WorkloadFixture, key: JWTSigningKey? = nil, sub: String = "spiffe://example.org/web",
        aud: [String] = ["billing"]
    ) -> String {
        let now = Date()
        return JWTSigner.sign(
            claims: JWTClaims(
                sub: sub, aud: aud, exp: now.addingTimeInterval(300), iat: now, iss: "https://signet.example.org",
                extra: ["tenant": .string("blue"), "level": .number(3)]),
            key: key ?? fixture.jwtKey)
    }

    @Test func validateReturnsTheSPIFFEIDAndAllClaims() async throws {
        let fixture = try WorkloadFixture()
        // The validator needs no identity of its own: no entry matches this process.
        try fixture.publish([try fixture.entry("other", ["unix:uid:\(otherUID)"])])
        let jwt = token(fixture, aud: ["billing", "audit"])
        let response = try await fixture.withServer {
            try await fixture.withClient { client in
                try await client.validateJWTSVID(
                    ValidateJWTSVIDRequest.with {
                        $0.audience = "billing"
                        $0.svid = jwt
                    }, metadata: .workload)
            }
        }
        #expect(response.spiffeID == "spiffe://example.org/web")
        let fields = response.claims.fields
        #expect(fields["sub"]?.stringValue == "spiffe://example.org/web")
        #expect(fields["aud"]?.listValue.values.map(\.stringValue) == ["billing", "audit"])
        #expect(fields["iss"]?.stringValue == "https://signet.example.org")
        #expect(fields["tenant"]?.stringValue == "blue")
        #expect(fields["level"]?.numberValue == 3)
        #expect((fields["jti"]?.stringValue.count ?? 0) > 10)
        let exp = try #require(fields["exp"]?.numberValue)
        let iat = try #require(fields["iat"]?.numberValue)
        #expect(exp - iat == 300)
    }

    @Test func validateRejectsWrongAudienceForeignKeyAndEmptyFields() async throws {
        let fixture = try WorkloadFixture()
        try fixture.publish([])
        let foreign = try JWTSigningKey.generate(.es256)
        let valid = token(fixture)
        let cases: [(audience: String, svid: String)] = [
            ("other-service", valid), ("billing", token(fixture, key: foreign)),
            ("billing", token(fixture, sub: "spiffe://elsewhere.org/web")), ("", valid), ("billing", ""),
        ]
        let errors = try await fixture.withServer {
            try await fixture.withClient { client in
                var errors: [RPCError?] = []
                for (audience, svid) in cases {
                    errors.append(
                        await rpcError {
                            try await client.validateJWTSVID(
                                ValidateJWTSVIDRequest.with {
                                    $0.audience = audience
                                    $0.svid = svid
                                }, metadata: .workload)
                        })
                }
                return errors
            }
        }
        #expect(errors.map { $0?.code } == Array(repeating: .invalidArgument, count: cases.count))
        #expect(errors[0]?.message.contains("audience") == true)
        #expect(errors[1]?.message.contains(foreign.kid) == true)
        #expect(errors[3]?.message == "audience must be specified")
        #expect(errors[4]?.message == "svid must be specified")
    }

    @Test func fetchJWTSVIDReturnsOneTokenPerIdentityDefaultFirst() async throws {
        let fixture = try WorkloadFixture()
        let web = try fixture.entry("web", ["unix:uid:\(uid)"])
        let api = try fixture.entry("api", ["unix:uid:\(uid)"])
        let other = try fixture.entry("other", ["unix:uid:\(otherUID)"])
        try fixture.publish([web, api, other])
        // The agent is not connected to a server here: tokens come from its cache.
        for entry in [web, api] {
            fixture.agent.jwtCache.store(
                JWTSVIDCache.key(entry.spiffeID, ["billing"]), token: token(fixture, sub: entry.spiffeID.description),
                expiresAt: Date().addingTimeInterval(300))
        }
        let (all, one, foreign, invalid, empty, uncached) = try await fixture.withServer {
            try await fixture.withClient { client in
                let all = try await client.fetchJWTSVID(JWTSVIDRequest.with { $0.audience = ["billing"] }, metadata: .workload)
                let one = try await client.fetchJWTSVID(
                    JWTSVIDRequest.with {
                        $0.audience = ["billing"]
                        $0.spiffeID = "spiffe://example.org/web"
                    }, metadata: .workload)
                let foreign = await rpcCode {
                    try await client.fetchJWTSVID(
                        JWTSVIDRequest.with {
                            $0.audience = ["billing"]
                            $0.spiffeID = "spiffe://example.org/other"
                        }, metadata: .workload)
                }
                let invalid = await rpcCode {
                    try await client.fetchJWTSVID(
                        JWTSVIDRequest.with {
                            $0.audience = ["billing"]
                            $0.spiffeID = "not a spiffe id"
                        }, metadata: .workload)
                }
                let empty = await rpcCode {
                    try await client.fetchJWTSVID(JWTSVIDRequest.with { $0.audience = [] }, metadata: .workload)
                }
                // Nothing cached for this audience and no server to ask: retry later.
                let uncached = await rpcCode {
                    try await client.fetchJWTSVID(JWTSVIDRequest.with { $0.audience = ["payroll"] }, metadata: .workload)
                }
                return (all, one, foreign, invalid, empty, uncached)
            }
        }
        #expect(all.svids.map(\.spiffeID) == ["spiffe://example.org/api", "spiffe://example.org/web"])
        for svid in all.svids + one.svids {
            let verified = try JWTVerifier(trustDomain: fixture.trustDomain, keys: [fixture.jwtKey.publicKey])
                .verify(token: svid.svid, audience: "billing")
            #expect(verified.spiffeID.description == svid.spiffeID)
        }
        #expect(one.svids.map(\.spiffeID) == ["spiffe://example.org/web"])
        #expect(foreign == .permissionDenied)
        #expect(invalid == .invalidArgument)
        #expect(empty == .invalidArgument)
        #expect(uncached == .unavailable)
    }

    @Test func fetchJWTSVIDWithoutIdentityIsPermissionDenied() async throws {
        let fixture = try WorkloadFixture()
        try fixture.publish([try fixture.entry("other", ["unix:uid:\(otherUID)"])])
        let code = try await fixture.withServer {
            try await fixture.withClient { client in
                await rpcCode {
                    try await client.fetchJWTSVID(JWTSVIDRequest.with { $0.audience = ["billing"] }, metadata: .workload)
                }
            }
        }
        #expect(code == .permissionDenied)
    }
}
