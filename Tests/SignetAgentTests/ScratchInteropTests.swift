import Foundation
import SignetCore
import SignetPKI
import Testing

@testable import SignetAgent

#if canImport(Glibc)
import Glibc
#endif

@Suite(.enabled(if: ProcessInfo.processInfo.environment["SIGNET_SCRATCH_INTEROP"] != nil))
struct ScratchInteropTests {
    @Test func serveForPySpiffe() async throws {
        let fixture = try WorkloadFixture()
        let web = try fixture.entry("web", ["unix:uid:\(getuid())"])
        let api = try fixture.entry("api", ["unix:uid:\(getuid())", "unix:user:root"])
        try fixture.publish([web, api])
        let now = Date()
        let token = JWTSigner.sign(
            claims: JWTClaims(sub: "spiffe://example.org/api", aud: ["billing"], exp: now.addingTimeInterval(300), iat: now),
            key: fixture.jwtKey)
        fixture.agent.jwtCache.store(JWTSVIDCache.key(api.spiffeID, ["billing"]), token: token, expiresAt: now.addingTimeInterval(300))
        let web2 = JWTSigner.sign(
            claims: JWTClaims(sub: "spiffe://example.org/web", aud: ["billing"], exp: now.addingTimeInterval(300), iat: now),
            key: fixture.jwtKey)
        fixture.agent.jwtCache.store(JWTSVIDCache.key(web.spiffeID, ["billing"]), token: web2, expiresAt: now.addingTimeInterval(300))
        let out = "/tmp/sat-interop"
        try? FileManager.default.removeItem(atPath: out)
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        try fixture.withServer {
            try "\(fixture.socketPath)\n\(token)\n".write(toFile: out + "/info", atomically: true, encoding: .utf8)
            for _ in 0..<900 where !FileManager.default.fileExists(atPath: out + "/done") {
                try await Task.sleep(for: .milliseconds(100))
            }
            // rotate while python holds an X509Source
        }
    }
}
