import Foundation
import Hummingbird
import NIOCore
import NIOSSL
import ServiceLifecycle
import SignetCore
import SignetStore
import X509

/// `POST /oauth2/token` (RFC 6749 §3.2): public, on the main HTTPS listener, client certificate
/// optional. Every answer is JSON with `Cache-Control: no-store`; every refusal is an OAuth error
/// whose description is safe for an anonymous caller, while the full reason goes to an
/// `exchange.token` event with outcome `denied`.
struct TokenEndpointRoutes {
    let authority: SignetAuthority

    func register(on router: Router<SignetRequestContext>) {
        router.post("oauth2/token") { request, context in
            await authority.handleTokenRequest(request, channel: context.channel)
        }
    }
}

extension SignetAuthority {
    func handleTokenRequest(_ request: Request, channel: any Channel) async -> Response {
        do {
            return OAuthResponse.json(try await answerTokenRequest(request, channel: channel))
        } catch {
            await recordRefusal(error)
            return error.response()
        }
    }

    private func answerTokenRequest(_ request: Request, channel: any Channel) async throws(OAuthError) -> String {
        let form = try await Self.readForm(request)
        switch try form.required("grant_type") {
        case Self.tokenExchangeGrant:
            return try await tokenExchange(form)
        case "client_credentials":
            return try await clientCredentials(form, peer: { await Self.peerCertificate(of: channel) })
        case let other:
            throw OAuthError(
                .unsupportedGrantType,
                "grant_type must be \(Self.tokenExchangeGrant) or client_credentials",
                reason: "unsupported grant_type '\(OAuthForm.printable(other))'")
        }
    }

    private static func readForm(_ request: Request) async throws(OAuthError) -> OAuthForm {
        let contentType = request.headers[.contentType] ?? ""
        let mediaType = contentType.split(separator: ";", maxSplits: 1).first?
            .trimmingCharacters(in: .whitespaces).lowercased()
        guard mediaType == "application/x-www-form-urlencoded" else {
            throw OAuthError.invalidRequest("Content-Type must be application/x-www-form-urlencoded")
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: OAuthForm.maxBytes)
        } catch is NIOTooManyBytesError {
            throw OAuthError.invalidRequest("request body is larger than \(OAuthForm.maxBytes / 1024) KiB")
        } catch {
            throw OAuthError.invalidRequest("request body could not be read")
        }
        return try OAuthForm(parsing: Array(buffer: buffer))
    }

    /// The validated client certificate of this connection, if one was presented.
    static func peerCertificate(of channel: any Channel) async -> PeerCertificate? {
        guard let certificate = try? await channel.nioSSL_peerCertificate().get(),
            let der = try? certificate.toDERBytes()
        else { return nil }
        let id = (try? Certificate(derEncoded: der)).flatMap(PeerIdentity.spiffeID(in:))
        return PeerCertificate(spiffeID: id, leafDER: der)
    }

    /// The `exchange.token` event of a refusal; the caller still gets its answer if this fails.
    private func recordRefusal(_ error: OAuthError) async {
        var details = error.details
        details["error"] = error.code.rawValue
        let subject = details["spiffe_id"] ?? details["client_id"] ?? details["issuer"] ?? "-"
        let event = AuditEvent(
            actor: "anonymous", action: "exchange.token", subject: subject,
            outcome: error.code == .serverError ? .failure : .denied, reason: error.reason, details: details)
        do {
            try await store.appendEvent(event)
        } catch {
            logger.error("cannot record exchange.token refusal", metadata: ["error": "\(error)"])
        }
        if error.code == .serverError {
            logger.error("token endpoint failure", metadata: ["reason": "\(error.reason)"])
        }
    }
}

/// Background upkeep of the token endpoint: forgets expired single-use token records (memory and
/// store) every minute, and closes the issuer HTTP client at shutdown.
struct ExchangeMaintenance: Service {
    let authority: SignetAuthority
    static let interval: Duration = .seconds(60)

    func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                try await cancelWhenGracefulShutdown {
                    try await Task.sleep(for: Self.interval)
                }
            } catch {
                break
            }
            let now = Date()
            authority.exchange.replay.purge(now: now)
            do {
                try await authority.store.purgeTokenUses(expiredBefore: now)
            } catch {
                authority.logger.warning("purging used-token records failed", metadata: ["error": "\(error)"])
            }
        }
        await authority.exchange.fetcher.shutdown()
    }
}
