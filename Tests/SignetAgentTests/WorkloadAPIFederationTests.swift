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

/// Federated bundles through the Workload API: a workload gets the bundles of exactly the domains its
/// entries federate with, each under its own trust domain, and JWT-SVIDs of a federated domain validate
/// with that domain's keys only.
@Suite struct WorkloadAPIFederationTests {
    let uid = getuid()
    var otherUID: UInt32 { uid == 65534 ? 65533 : 65534 }

    /// A peer trust domain with its own CA and JWT key.
    struct Peer {
        let trustDomain: TrustDomain
        let ca: CertificateAuthority
        let jwtKey: JWTSigningKey
        var bundle: TrustBundle {
            TrustBundle(
                trustDomain: trustDomain, x509Authorities: ca.roots, jwtAuthorities: [jwtKey.publicKey], sequence: 7,
                refreshHint: 300)
        }

        init(_ name: String, directory: String) throws {
            trustDomain = try TrustDomain(name)
            ca = try CABootstrap.loadOrCreate(
                directory: directory + "/" + name, settings: CASettings(trustDomain: trustDomain))
            jwtKey = try JWTSigningKey.generate(.es256)
        }
    }

    func jwt(sub: String, key: JWTSigningKey) -> String {
        let now = Date()
        return JWTSigner.sign(
            claims: JWTClaims(sub: sub, aud: ["svc"], exp: now.addingTimeInterval(300), iat: now, iss: "https://peer"),
            key: key)
    }

    @Test func aWorkloadReceivesOnlyTheFederatedBundlesItsEntriesNameAndValidatesTheirJWTSVIDs() async throws {
        let fixture = try WorkloadFixture()
        let other = try Peer("other.org", directory: fixture.directory)
        let third = try Peer("third.org", directory: fixture.directory)
        var mine = try fixture.entry("web", ["unix:uid:\(uid)"])
        mine.federatesWith = [other.trustDomain]
        // Another workload on the node federates with third.org: this caller must not receive it.
        var theirs = try fixture.entry("batch", ["unix:uid:\(otherUID)"])
        theirs.federatesWith = [third.trustDomain]
        let own = TrustBundle(
            trustDomain: fixture.trustDomain, x509Authorities: fixture.ca.roots,
            jwtAuthorities: [fixture.jwtKey.publicKey], sequence: 1, refreshHint: 300)
        let snapshot = try AgentSnapshot(
            version: 1, trustDomain: fixture.trustDomain,
            entries: [mine.id: mine, theirs.id: theirs],
            svids: [mine.id: try fixture.svid(for: mine), theirs.id: try fixture.svid(for: theirs)], bundle: own,
            federatedBundles: [other.trustDomain: other.bundle, third.trustDomain: third.bundle])
        fixture.agent.publisher.publish(snapshot)

        let validSVIDs: [(String, JWTSigningKey)] = [
            ("spiffe://other.org/api", other.jwtKey), ("spiffe://example.org/web", fixture.jwtKey),
        ]
        let refusedSVIDs: [(String, JWTSigningKey)] = [
            // A federated key never vouches for another domain's subject, nor the own key for a federated subject.
            ("spiffe://example.org/web", other.jwtKey), ("spiffe://other.org/api", fixture.jwtKey),
            ("spiffe://third.org/api", other.jwtKey), ("spiffe://unknown.org/api", other.jwtKey),
        ]
        let (svid, x509, jwt, validated, refused) = try await fixture.withServer {
            try await fixture.withClient { client in
                let svid = try await client.firstX509SVID()
                let x509 = try await client.fetchX509Bundles(X509BundlesRequest(), metadata: .workload) { response in
                    for try await message in response.messages { return message }
                    throw TestFailure("no message")
                }
                let jwt = try await client.fetchJWTBundles(JWTBundlesRequest(), metadata: .workload) { response in
                    for try await message in response.messages { return message }
                    throw TestFailure("no message")
                }
                var validated: [String] = []
                for (sub, key) in validSVIDs {
                    let response = try await client.validateJWTSVID(
                        ValidateJWTSVIDRequest.with {
                            $0.audience = "svc"
                            $0.svid = self.jwt(sub: sub, key: key)
                        }, metadata: .workload)
                    validated.append(response.spiffeID)
                }
                var refused: [RPCError.Code?] = []
                for (sub, key) in refusedSVIDs {
                    refused.append(
                        await rpcCode {
                            try await client.validateJWTSVID(
                                ValidateJWTSVIDRequest.with {
                                    $0.audience = "svc"
                                    $0.svid = self.jwt(sub: sub, key: key)
                                }, metadata: .workload)
                        })
                }
                return (svid, x509, jwt, validated, refused)
            }
        }
        let otherRootsDER = try other.ca.roots.flatMap { try TrustBundle.der($0) }
        #expect(Array(svid.federatedBundles.keys) == ["spiffe://other.org"])
        #expect(svid.federatedBundles["spiffe://other.org"] == Data(otherRootsDER))
        #expect(svid.svids.first?.bundle != Data(otherRootsDER))
        #expect(Set(x509.bundles.keys) == ["spiffe://example.org", "spiffe://other.org"])
        #expect(x509.bundles["spiffe://other.org"] == Data(otherRootsDER))
        #expect(Set(jwt.bundles.keys) == ["spiffe://example.org", "spiffe://other.org"])
        let otherJWT = try TrustBundle.parse(
            json: Array(jwt.bundles["spiffe://other.org"] ?? Data()), trustDomain: other.trustDomain)
        #expect(otherJWT.jwtAuthorities.map(\.kid) == [other.jwtKey.kid])
        let ownJWT = try TrustBundle.parse(
            json: Array(jwt.bundles["spiffe://example.org"] ?? Data()), trustDomain: fixture.trustDomain)
        #expect(ownJWT.jwtAuthorities.map(\.kid) == [fixture.jwtKey.kid])
        #expect(validated == validSVIDs.map(\.0))
        #expect(refused == Array(repeating: .invalidArgument, count: refusedSVIDs.count))
    }
}
