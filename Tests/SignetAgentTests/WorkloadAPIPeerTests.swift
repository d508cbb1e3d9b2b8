import Foundation
import GRPCCore
import SignetCore
import SwiftProtobuf
import Testing

@testable import SignetAgent

#if canImport(Glibc)
import Glibc
#endif

/// Who the server thinks is calling: never what the client says, always what the kernel says.
@Suite struct WorkloadAPIPeerTests {
    let uid = getuid()
    var otherUID: UInt32 { uid == 65534 ? 65533 : 65534 }

    /// Headers a workload might send to pass for another uid.
    func spoofed(as uid: UInt32) -> Metadata {
        var metadata = Metadata.workload
        metadata.addString("\(uid)", forKey: "x-signet-peer-uid")
        metadata.addString("\(uid)", forKey: "x-signet-peer-gid")
        metadata.addString("1", forKey: "x-signet-peer-pid")
        metadata.addString("guess", forKey: "x-signet-peer-seal")
        metadata.addBinary(Array("unix:uid:\(uid)".utf8), forKey: "x-signet-peer-selectors-bin")
        return metadata
    }

    @Test func clientSentCredentialHeadersAreIgnored() async throws {
        let fixture = try WorkloadFixture()
        let mine = try fixture.entry("mine", ["unix:uid:\(uid)"])
        let theirs = try fixture.entry("theirs", ["unix:uid:\(otherUID)"])
        try fixture.publish([mine, theirs])
        let (response, uppercase) = try await fixture.withServer {
            try await fixture.withClient { client in
                let response = try await client.firstX509SVID(metadata: spoofed(as: otherUID))
                var shouting = Metadata.workload
                shouting.addString("\(otherUID)", forKey: "X-Signet-Peer-Uid")
                return (response, try await client.firstX509SVID(metadata: shouting))
            }
        }
        #expect(response.svids.map(\.spiffeID) == ["spiffe://example.org/mine"])
        #expect(uppercase.svids.map(\.spiffeID) == ["spiffe://example.org/mine"])
    }

    @Test func spoofingAnotherUIDDoesNotGrantItsIdentity() async throws {
        let fixture = try WorkloadFixture()
        try fixture.publish([try fixture.entry("theirs", ["unix:uid:\(otherUID)"])])
        let code = try await fixture.withServer {
            try await fixture.withClient { client in
                await rpcCode { try await client.firstX509SVID(metadata: spoofed(as: otherUID)) }
            }
        }
        #expect(code == .permissionDenied)
    }

    /// curl speaks gRPC well enough for a unary call: HTTP/2 prior knowledge over the socket.
    func curlAsNobody(_ fixture: WorkloadFixture, method: String, request: some SwiftProtobuf.Message) throws -> (
        headers: String, body: Data
    ) {
        let work = fixture.directory + "/curl"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        chmod(work, 0o777)
        let message: [UInt8] = try request.serializedBytes()
        var frame: [UInt8] = [0]
        withUnsafeBytes(of: UInt32(message.count).bigEndian) { frame += $0 }
        try Data(frame + message).write(to: URL(fileURLWithPath: work + "/request"))
        chmod(work + "/request", 0o644)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        process.arguments = [
            "--reuid", "65534", "--regid", "65534", "--clear-groups",
            "/usr/bin/curl", "-sS", "--max-time", "20", "--http2-prior-knowledge", "--unix-socket", fixture.socketPath,
            "-H", "content-type: application/grpc", "-H", "te: trailers", "-H", "workload.spiffe.io: true",
            // A uid-0 claim in the headers must make no difference.
            "-H", "x-signet-peer-uid: 0", "-H", "x-signet-peer-seal: guess",
            "--data-binary", "@" + work + "/request", "-D", work + "/headers", "-o", work + "/body",
            "http://localhost/SpiffeWorkloadAPI/\(method)",
        ]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw TestFailure("curl exited with \(process.terminationStatus)") }
        return (
            try String(contentsOfFile: work + "/headers", encoding: .utf8),
            (try? Data(contentsOf: URL(fileURLWithPath: work + "/body"))) ?? Data()
        )
    }

    @Test(.enabled(if: canSwitchUser, "needs root and setpriv"))
    func aWorkloadUnderAnotherUIDGetsOnlyItsOwnIdentity() async throws {
        let fixture = try WorkloadFixture()
        let nobody = try fixture.entry("nobody", ["unix:uid:65534"])
        let root = try fixture.entry("root", ["unix:uid:0"])
        try fixture.publish([nobody, root])
        for entry in [nobody, root] {
            fixture.agent.jwtCache.store(
                JWTSVIDCache.key(entry.spiffeID, ["billing"]), token: "token-of-\(entry.spiffeID.path.dropFirst())",
                expiresAt: Date().addingTimeInterval(300))
        }
        let (jwt, x509) = try await fixture.withServer {
            try await Task.detached {
                (
                    try curlAsNobody(fixture, method: "FetchJWTSVID", request: JWTSVIDRequest.with { $0.audience = ["billing"] }),
                    try curlAsNobody(
                        fixture, method: "FetchJWTSVID",
                        request: JWTSVIDRequest.with {
                            $0.audience = ["billing"]
                            $0.spiffeID = "spiffe://example.org/root"
                        })
                )
            }.value
        }
        let body = String(decoding: jwt.body, as: UTF8.self)
        #expect(jwt.headers.contains("grpc-status: 0"))
        #expect(body.contains("spiffe://example.org/nobody") && body.contains("token-of-nobody"))
        #expect(!body.contains("token-of-root"))
        #expect(x509.headers.contains("grpc-status: 7"))
    }
}
