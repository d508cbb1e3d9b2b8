import Crypto
import Foundation
import GRPCCore
import SignetCore
import SignetPKI
import Testing
import X509

@testable import SignetAgent

#if canImport(Glibc)
import Glibc
#endif

/// FetchX509SVID / FetchX509Bundles / FetchJWTBundles over a real Unix socket with the generated client.
@Suite struct WorkloadAPIX509Tests {
    let uid = getuid()
    /// A uid that is not ours, for entries this process must not get.
    var otherUID: UInt32 { uid == 65534 ? 65533 : 65534 }

    @Test func fetchX509SVIDReturnsChainKeyAndBundleOfEachMatchingEntry() async throws {
        let fixture = try WorkloadFixture()
        let web = try fixture.entry("web", ["unix:uid:\(uid)"])
        let db = try fixture.entry("db", ["unix:uid:\(uid)", "unix:gid:\(getgid())"])
        let other = try fixture.entry("other", ["unix:uid:\(otherUID)"])
        let svids = try fixture.publish([web, db, other])

        let response = try await fixture.withServer {
            try await fixture.withClient { try await $0.firstX509SVID() }
        }
        // Sorted by SPIFFE ID: db before web; the first is the default identity.
        #expect(response.svids.map(\.spiffeID) == ["spiffe://example.org/db", "spiffe://example.org/web"])
        #expect(response.crl.isEmpty && response.federatedBundles.isEmpty)
        for message in response.svids {
            let expected = try #require(svids.first { $0.spiffeID.description == message.spiffeID })
            let chain = try splitDER(Array(message.x509Svid))
            #expect(chain == expected.chainDER)
            #expect(chain.count == 2)
            let leaf = try Certificate(derEncoded: chain[0])
            let names = try #require(try leaf.extensions.subjectAlternativeNames)
            #expect(names.contains(.uniformResourceIdentifier(message.spiffeID)))
            let key = try P256.Signing.PrivateKey(derRepresentation: message.x509SvidKey)
            #expect(Certificate.PublicKey(key.publicKey) == leaf.publicKey)
            let roots = try splitDER(Array(message.bundle)).map { try Certificate(derEncoded: $0) }
            #expect(roots == fixture.ca.roots)
            #expect(message.hint == "")
        }
    }

    @Test func noMatchingEntryIsPermissionDeniedAndReportedOnce() async throws {
        let fixture = try WorkloadFixture()
        try fixture.publish([try fixture.entry("other", ["unix:uid:\(otherUID)"])])
        let errors = try await fixture.withServer {
            try await fixture.withClient { client in
                [
                    await rpcError { try await client.firstX509SVID() },
                    await rpcError { try await client.firstX509SVID() },
                    await rpcError {
                        try await client.fetchX509Bundles(X509BundlesRequest(), metadata: .workload) { response in
                            for try await message in response.messages { return message }
                            throw TestFailure("no message")
                        }
                    },
                ]
            }
        }
        #expect(errors.map { $0?.code } == [.permissionDenied, .permissionDenied, .permissionDenied])
        #expect(errors[0]?.message == "no identity issued")
        let (events, _) = fixture.agent.events.take(limit: 100)
        // Two FetchX509SVID refusals of the same caller within a minute: reported once, plus one for the bundles call.
        #expect(events.map(\.action) == ["workload.denied", "workload.denied"])
        #expect(events.first?.subject == "unix:uid:\(uid)")
        #expect(events.first?.details["method"] == "FetchX509SVID")
        #expect(events.first?.details["pid"] == String(getpid()))
    }

    @Test func rotationArrivesOnAnOpenStreamAndUnchangedStateIsNotResent() async throws {
        let fixture = try WorkloadFixture()
        let web = try fixture.entry("web", ["unix:uid:\(uid)"])
        let other = try fixture.entry("other", ["unix:uid:\(otherUID)"])
        let first = try fixture.publish([web])

        let (initial, rotated, ending) = try await fixture.withServer {
            try await fixture.withClient { client in
                try await client.fetchX509SVID(X509SVIDRequest(), metadata: .workload) { response in
                    var messages = response.messages.makeAsyncIterator()
                    let initial = try await messages.next()
                    // A change that does not concern this workload must not produce a message...
                    try fixture.publish([web, other], svids: first + [try fixture.svid(for: other)])
                    try await Task.sleep(for: .milliseconds(200))
                    // ...so the next message is the rotation.
                    let rotatedSVIDs = try fixture.publish([web, other])
                    let rotated = try await messages.next()
                    #expect(rotated?.svids.first?.x509Svid == Data(rotatedSVIDs[0].chainDER.joined()))
                    // Losing the last identity ends the stream with PermissionDenied.
                    try fixture.publish([other])
                    let ending = await rpcCode { try await messages.next() }
                    return (initial, rotated, ending)
                }
            }
        }
        #expect(initial?.svids.first?.x509Svid == Data(first[0].chainDER.joined()))
        #expect(rotated != nil && rotated != initial)
        #expect(ending == .permissionDenied)
    }

    @Test func bundlesAreKeyedByTrustDomainID() async throws {
        let fixture = try WorkloadFixture()
        try fixture.publish([try fixture.entry("web", ["unix:uid:\(uid)"])])
        let (x509, jwt) = try await fixture.withServer {
            try await fixture.withClient { client in
                let x509 = try await client.fetchX509Bundles(X509BundlesRequest(), metadata: .workload) { response in
                    for try await message in response.messages { return message }
                    throw TestFailure("no message")
                }
                let jwt = try await client.fetchJWTBundles(JWTBundlesRequest(), metadata: .workload) { response in
                    for try await message in response.messages { return message }
                    throw TestFailure("no message")
                }
                return (x509, jwt)
            }
        }
        #expect(Array(x509.bundles.keys) == ["spiffe://example.org"])
        let roots = try splitDER(Array(x509.bundles["spiffe://example.org"] ?? Data())).map { try Certificate(derEncoded: $0) }
        #expect(roots == fixture.ca.roots)
        let json = try #require(jwt.bundles["spiffe://example.org"])
        let bundle = try TrustBundle.parse(json: Array(json), trustDomain: fixture.trustDomain)
        #expect(bundle.jwtAuthorities.map(\.kid) == [fixture.jwtKey.kid])
    }

    @Test func jwtBundleChangeIsResent() async throws {
        let fixture = try WorkloadFixture()
        let web = try fixture.entry("web", ["unix:uid:\(uid)"])
        let svids = try fixture.publish([web])
        let added = try JWTSigningKey.generate(.es256)
        let (first, second) = try await fixture.withServer {
            try await fixture.withClient { client in
                try await client.fetchJWTBundles(JWTBundlesRequest(), metadata: .workload) { response in
                    var messages = response.messages.makeAsyncIterator()
                    let first = try await messages.next()
                    try fixture.publish([web], svids: svids, jwtKeys: [fixture.jwtKey.publicKey, added.publicKey])
                    return (first, try await messages.next())
                }
            }
        }
        let keys = try [first, second].map { message in
            try TrustBundle.parse(
                json: Array(message?.bundles["spiffe://example.org"] ?? Data()), trustDomain: fixture.trustDomain
            ).jwtAuthorities.count
        }
        #expect(keys == [1, 2])
    }

    @Test func oneShotFetchesReleaseTheirSubscription() async throws {
        let fixture = try WorkloadFixture()
        try fixture.publish([try fixture.entry("web", ["unix:uid:\(uid)"])])
        try await fixture.withServer {
            try await fixture.withClient { client in
                for _ in 0..<20 { _ = try await client.firstX509SVID() }
            }
            for _ in 0..<100 where fixture.agent.publisher.watcherCount > 0 {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(fixture.agent.publisher.watcherCount == 0)
        }
    }

    @Test func requestsWithoutTheSecurityHeaderAreInvalid() async throws {
        let fixture = try WorkloadFixture()
        try fixture.publish([try fixture.entry("web", ["unix:uid:\(uid)"])])
        let codes = try await fixture.withServer {
            try await fixture.withClient { client in
                var codes: [RPCError.Code?] = []
                for metadata: Metadata in [[:], ["workload.spiffe.io": "false"], ["workload.spiffe.io": "TRUE"]] {
                    codes.append(await rpcCode { try await client.firstX509SVID(metadata: metadata) })
                }
                codes.append(
                    await rpcCode {
                        try await client.fetchJWTSVID(JWTSVIDRequest.with { $0.audience = ["a"] }, metadata: [:])
                    })
                codes.append(
                    await rpcCode {
                        try await client.validateJWTSVID(
                            ValidateJWTSVIDRequest.with {
                                $0.audience = "a"
                                $0.svid = "x.y.z"
                            }, metadata: [:])
                    })
                codes.append(
                    await rpcCode {
                        try await client.fetchJWTBundles(JWTBundlesRequest(), metadata: [:]) { response in
                            for try await message in response.messages { return message }
                            throw TestFailure("no message")
                        }
                    })
                return codes
            }
        }
        #expect(codes == Array(repeating: .invalidArgument, count: 6))
    }

    @Test func beforeTheFirstSyncCallsAreUnavailable() async throws {
        let fixture = try WorkloadFixture()
        let codes = try await fixture.withServer {
            try await fixture.withClient { client in
                [
                    await rpcCode { try await client.firstX509SVID() },
                    await rpcCode {
                        try await client.validateJWTSVID(
                            ValidateJWTSVIDRequest.with {
                                $0.audience = "a"
                                $0.svid = "x.y.z"
                            }, metadata: .workload)
                    },
                ]
            }
        }
        #expect(codes == [.unavailable, .unavailable])
    }
}

/// Splits concatenated DER structures (the Workload API's chain and bundle encoding).
func splitDER(_ bytes: [UInt8]) throws -> [[UInt8]] {
    var parts: [[UInt8]] = []
    var index = 0
    while index < bytes.count {
        guard index + 2 <= bytes.count else { throw TestFailure("truncated DER") }
        var length = Int(bytes[index + 1])
        var header = 2
        if length & 0x80 != 0 {
            let count = length & 0x7F
            guard count <= 4, index + 2 + count <= bytes.count else { throw TestFailure("bad DER length") }
            length = bytes[(index + 2)..<(index + 2 + count)].reduce(0) { $0 << 8 | Int($1) }
            header += count
        }
        guard index + header + length <= bytes.count else { throw TestFailure("truncated DER") }
        parts.append(Array(bytes[index..<(index + header + length)]))
        index += header + length
    }
    return parts
}
