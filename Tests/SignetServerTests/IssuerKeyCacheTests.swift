import Foundation
import SignetPKI
import Synchronization
import Testing
@testable import SignetServer

/// The external issuers' key cache, driven by a scripted fetch and a test clock (no network).
@Suite struct IssuerKeyCacheTests {
    /// A scripted issuer: the key set it currently serves (nil = unreachable) and how often it was asked.
    final class FakeIssuer: Sendable {
        let keys = Mutex<[JWTPublicKey]?>(nil)
        let fetches = Mutex(0)
        let now = Mutex(Date(timeIntervalSince1970: 1_800_000_000))

        func advance(_ seconds: TimeInterval) { now.withLock { $0 += seconds } }

        func cache(minRefetch: TimeInterval = 60, refresh: TimeInterval = 900, maxAge: TimeInterval = 3600)
            -> IssuerKeyCache
        {
            IssuerKeyCache(
                settings: .init(minRefetch: minRefetch, refresh: refresh, maxAge: maxAge),
                clock: { self.now.withLock { $0 } },
                fetch: { _ in
                    self.fetches.withLock { $0 += 1 }
                    try await Task.sleep(for: .milliseconds(20))
                    guard let keys = self.keys.withLock({ $0 }) else { throw CLIFailure("connection refused") }
                    return JWKSet(keys: keys)
                })
        }
    }

    static let keyA = try! JWTSigningKey.generate(.es256, kid: "a").publicKey
    static let keyB = try! JWTSigningKey.generate(.es256, kid: "b").publicKey
    static let issuer = "https://issuer.test"

    @Test func concurrentRequestsShareOneFetch() async throws {
        let fake = FakeIssuer()
        fake.keys.withLock { $0 = [Self.keyA] }
        let cache = fake.cache()
        try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<20 { group.addTask { try await cache.verifier(issuer: Self.issuer, kid: "a").hasKey("a") } }
            for try await found in group { #expect(found) }
        }
        #expect(fake.fetches.withLock { $0 } == 1)
    }

    @Test func unknownKidRefetchesAtMostOncePerMinimumInterval() async throws {
        let fake = FakeIssuer()
        fake.keys.withLock { $0 = [Self.keyA] }
        let cache = fake.cache(minRefetch: 60)
        _ = try await cache.verifier(issuer: Self.issuer, kid: "a")
        // The issuer rotates to key b.
        fake.keys.withLock { $0 = [Self.keyA, Self.keyB] }
        fake.advance(10)
        // Too soon after the last fetch: no refetch, the cached set (without b) is returned.
        #expect(try await cache.verifier(issuer: Self.issuer, kid: "b").hasKey("b") == false)
        #expect(fake.fetches.withLock { $0 } == 1)
        fake.advance(60)
        #expect(try await cache.verifier(issuer: Self.issuer, kid: "b").hasKey("b"))
        #expect(fake.fetches.withLock { $0 } == 2)
        // Random kids cannot make the cache hammer the issuer.
        for index in 0..<10 { _ = try await cache.verifier(issuer: Self.issuer, kid: "random-\(index)") }
        #expect(fake.fetches.withLock { $0 } == 2)
    }

    @Test func unreachableIssuerKeepsCachedKeysUntilMaxAge() async throws {
        let fake = FakeIssuer()
        fake.keys.withLock { $0 = [Self.keyA] }
        let cache = fake.cache(minRefetch: 60, refresh: 300, maxAge: 3600)
        _ = try await cache.verifier(issuer: Self.issuer, kid: "a")
        fake.keys.withLock { $0 = nil }  // issuer goes down

        // Past the refresh interval: a background refresh fails, cached keys keep working.
        fake.advance(600)
        #expect(try await cache.verifier(issuer: Self.issuer, kid: "a").hasKey("a"))
        // The refresh runs in the background: wait for it (bounded) rather than for a fixed time.
        for _ in 0..<200 where cache.cached(issuer: Self.issuer).lastError == nil || cache.isFetching(issuer: Self.issuer) {
            try await Task.sleep(for: .milliseconds(25))
        }
        #expect(fake.fetches.withLock { $0 } == 2)
        #expect(cache.cached(issuer: Self.issuer).lastError?.contains("connection refused") == true)
        fake.advance(2900)  // 3500 s old: still within the maximum age
        #expect(try await cache.verifier(issuer: Self.issuer, kid: "a").hasKey("a"))
        // Let that call's background refresh finish (and fail) before counting fetches below.
        for _ in 0..<200 where fake.fetches.withLock({ $0 }) < 3 || cache.isFetching(issuer: Self.issuer) {
            try await Task.sleep(for: .milliseconds(25))
        }
        #expect(fake.fetches.withLock { $0 } == 3)

        // Beyond the maximum age the keys are refused until a fetch succeeds.
        fake.advance(200)
        await #expect(throws: IssuerKeyCache.Unavailable.self) { try await cache.verifier(issuer: Self.issuer, kid: "a") }
        fake.advance(1)  // within the minimum refetch interval: refused without asking the issuer again
        let before = fake.fetches.withLock { $0 }
        await #expect(throws: IssuerKeyCache.Unavailable.self) { try await cache.verifier(issuer: Self.issuer, kid: "a") }
        #expect(fake.fetches.withLock { $0 } == before)

        fake.keys.withLock { $0 = [Self.keyA] }  // issuer is back
        fake.advance(60)
        #expect(try await cache.verifier(issuer: Self.issuer, kid: "a").hasKey("a"))
    }

    @Test func anIssuerThatNeverAnsweredIsRefusedAndAnEmptyKeySetIsAFailure() async throws {
        let fake = FakeIssuer()
        let cache = fake.cache()
        await #expect(throws: IssuerKeyCache.Unavailable.self) { try await cache.verifier(issuer: Self.issuer, kid: "a") }
        fake.keys.withLock { $0 = [] }
        fake.advance(60)
        do {
            _ = try await cache.verifier(issuer: Self.issuer, kid: "a")
            Issue.record("an empty key set was accepted")
        } catch {
            #expect(error.description.contains("no usable signing keys"))
        }
    }
}
