import Foundation
import Hummingbird
import SignetPKI
import SignetStore

/// Unauthenticated endpoints: the SPIFFE bundle, OIDC discovery, JWKS and health.
struct PublicRoutes {
    let authority: SignetAuthority

    func register(on router: Router<SignetRequestContext>) {
        router.get("healthz") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: "ok\n")))
        }
        router.get("readyz") { _, _ in
            do {
                _ = try await authority.store.meta("trust_domain")
                return Response(
                    status: .ok, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: "ready\n")))
            } catch {
                return Response(
                    status: .serviceUnavailable, headers: [.contentType: "text/plain"],
                    body: .init(byteBuffer: ByteBuffer(string: "store unavailable\n")))
            }
        }
        router.get("bundle") { _, _ in
            let bundle = authority.bundle
            return Response(
                status: .ok,
                headers: [.contentType: "application/json", .cacheControl: "max-age=\(min(60, bundle.refreshHint))"],
                body: .init(byteBuffer: ByteBuffer(bytes: bundle.spiffeJSON)))
        }
        router.get("bundle.pem") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/x-pem-file"],
                body: .init(byteBuffer: ByteBuffer(string: authority.bundle.pem)))
        }
        router.get(".well-known/openid-configuration") { _, _ in
            let issuer = authority.issuer
            let document: [String: Any] = [
                "issuer": issuer,
                "jwks_uri": issuer + "/keys",
                "id_token_signing_alg_values_supported": [authority.jwtKeys.active.algorithm.rawValue],
                "response_types_supported": ["id_token"],
                "subject_types_supported": ["public"],
                "claims_supported": ["sub", "aud", "exp", "iat", "iss", "jti"],
                // Token endpoint (RFC 8414): token exchange and client credentials.
                "token_endpoint": authority.tokenEndpointURL,
                "grant_types_supported": [SignetAuthority.tokenExchangeGrant, "client_credentials"],
                "token_endpoint_auth_methods_supported": ["private_key_jwt", "tls_client_auth"],
                "token_endpoint_auth_signing_alg_values_supported": JWTAlgorithm.allCases.map(\.rawValue),
                "tls_client_certificate_bound_access_tokens": true,
            ]
            let data = try JSONSerialization.data(withJSONObject: document, options: [.sortedKeys, .withoutEscapingSlashes])
            return Response(
                status: .ok, headers: [.contentType: "application/json", .cacheControl: "max-age=300"],
                body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
        router.get("keys") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/json", .cacheControl: "max-age=300"],
                body: .init(byteBuffer: ByteBuffer(bytes: authority.bundle.jwksJSON)))
        }
    }
}
