import Crypto
import Foundation
import SignetCore
import SwiftASN1
import Testing
import X509

@testable import SignetDiscovery

/// `kubectl get serviceaccounts,secrets -A -o json` output with a ServiceAccount, its legacy token
/// Secret, a TLS Secret holding a certificate generated here, an Opaque Secret, a registry pull
/// Secret and objects the importer must skip.
@Suite struct KubernetesImportTests {
    static let token = "eyJhbGciOiJSUzI1NiIsImtpZCI6IkRWbDNzQ3g0In0.eyJpc3MiOiJrdWJlcm5ldGVzL3NlcnZpY2VhY2NvdW50Iiwia3ViZXJuZXRlcy5pby9zZXJ2aWNlYWNjb3VudC9uYW1lc3BhY2UiOiJwYXltZW50cyIsInN1YiI6InN5c3RlbTpzZXJ2aWNlYWNjb3VudDpwYXltZW50czpiaWxsaW5nIn0.c2lnbmF0dXJlLW9mLXRoZS1sZWdhY3ktdG9rZW4tZm9yLXRlc3Rz"
    static let databasePassword = "Tr0ub4dor&3-correct-horse"
    static let apiKey = "sk_live_4eC39HqLyjWDarjtT1zdp7dc"
    static let registryPassword = "ghp_RegistryPullSecretValue0123456789"
    static let lastAppliedPassword = "plaintext-in-last-applied-annotation"

    struct TLSMaterial {
        var certificatePEM: String
        var keyPEM: String
        var fingerprint: String
        var notAfter: Date
    }

    static func tlsMaterial() throws -> TLSMaterial {
        let key = P256.Signing.PrivateKey()
        let name = try DistinguishedName { CommonName("checkout.payments.svc") }
        let notBefore = ImportFixtures.now - 86_400
        let notAfter = ImportFixtures.now + 30 * 86_400
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(bytes: [0x0A, 0x0B]),
            publicKey: Certificate.PublicKey(key.publicKey), notValidBefore: notBefore, notValidAfter: notAfter,
            issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions { SubjectAlternativeNames([.dnsName("checkout.payments.svc")]) },
            issuerPrivateKey: Certificate.PrivateKey(key))
        var serializer = DER.Serializer()
        try serializer.serialize(certificate.publicKey)
        let fingerprint = "sha256:" + SHA256.hash(data: serializer.serializedBytes).map { String(format: "%02x", $0) }.joined()
        return TLSMaterial(
            certificatePEM: try certificate.serializeAsPEM().pemString, keyPEM: key.pemRepresentation,
            fingerprint: fingerprint, notAfter: notAfter)
    }

    static func listing(_ tls: TLSMaterial) -> String {
        let b64 = ImportFixtures.base64
        let dockerConfig = #"{"auths":{"ghcr.io":{"username":"payments-bot","password":"\#(registryPassword)","auth":"\#(b64("payments-bot:" + registryPassword))"},"registry.example.com:5000":{"auth":"\#(b64("deploy:" + databasePassword))"}}}"#
        let lastApplied = #"{"apiVersion":"v1","kind":"Secret","metadata":{"name":"db-credentials","namespace":"payments"},"stringData":{"password":"\#(lastAppliedPassword)"}}"#
            .replacingOccurrences(of: "\"", with: "\\\"")
        return """
            {
                "apiVersion": "v1",
                "items": [
                    {
                        "apiVersion": "v1",
                        "automountServiceAccountToken": false,
                        "kind": "ServiceAccount",
                        "metadata": {
                            "annotations": {"eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/billing"},
                            "creationTimestamp": "2023-02-14T09:26:53Z",
                            "labels": {"app.kubernetes.io/name": "billing", "team": "payments"},
                            "name": "billing",
                            "namespace": "payments",
                            "resourceVersion": "48213",
                            "uid": "5f0e7a4c-3c1b-4a8e-9d61-2b7f0c3e9a11"
                        },
                        "secrets": [{"name": "billing-token"}],
                        "imagePullSecrets": [{"name": "ghcr-pull"}]
                    },
                    {
                        "apiVersion": "v1",
                        "kind": "ServiceAccount",
                        "metadata": {
                            "creationTimestamp": "2023-01-01T00:00:00Z",
                            "name": "default",
                            "namespace": "kube-system",
                            "resourceVersion": "301",
                            "uid": "0c1d2e3f-0000-4000-8000-000000000001"
                        }
                    },
                    {
                        "apiVersion": "v1",
                        "data": {
                            "ca.crt": "\(b64("-----BEGIN CERTIFICATE-----\nnot really\n-----END CERTIFICATE-----\n"))",
                            "namespace": "\(b64("payments"))",
                            "token": "\(b64(token))"
                        },
                        "kind": "Secret",
                        "metadata": {
                            "annotations": {
                                "kubernetes.io/service-account.name": "billing",
                                "kubernetes.io/service-account.uid": "5f0e7a4c-3c1b-4a8e-9d61-2b7f0c3e9a11"
                            },
                            "creationTimestamp": "2023-02-14T09:26:54Z",
                            "labels": {"kubernetes.io/legacy-token-last-used": "2024-05-08"},
                            "name": "billing-token",
                            "namespace": "payments",
                            "resourceVersion": "48214",
                            "uid": "9a8b7c6d-1111-4222-8333-444455556666"
                        },
                        "type": "kubernetes.io/service-account-token"
                    },
                    {
                        "apiVersion": "v1",
                        "data": {
                            "tls.crt": "\(b64(tls.certificatePEM))",
                            "tls.key": "\(b64(tls.keyPEM))"
                        },
                        "kind": "Secret",
                        "metadata": {
                            "annotations": {"signet.io/owner": "checkout-team", "cert-manager.io/issuer-name": "internal-ca"},
                            "creationTimestamp": "2024-05-09T00:00:00Z",
                            "labels": {"owner": "someone-else"},
                            "name": "checkout-tls",
                            "namespace": "payments",
                            "resourceVersion": "50001",
                            "uid": "aaaa0000-bbbb-4ccc-8ddd-eeeeffff0000"
                        },
                        "type": "kubernetes.io/tls"
                    },
                    {
                        "apiVersion": "v1",
                        "data": {
                            "DB_PASSWORD": "\(b64(databasePassword))",
                            "DB_USERNAME": "\(b64("billing_app"))",
                            "api_key": "\(b64(apiKey))",
                            "empty-token": "",
                            "host": "\(b64("db.payments.svc"))"
                        },
                        "kind": "Secret",
                        "metadata": {
                            "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "\(lastApplied)\\n"},
                            "creationTimestamp": "2023-03-01T12:00:00Z",
                            "labels": {"owner": "billing-oncall"},
                            "managedFields": [{"apiVersion": "v1", "fieldsType": "FieldsV1", "fieldsV1": {"f:data": {".": {}, "f:DB_PASSWORD": {}}}, "manager": "kubectl-client-side-apply", "operation": "Update", "time": "2023-03-01T12:00:00Z"}],
                            "name": "db-credentials",
                            "namespace": "payments",
                            "resourceVersion": "50002",
                            "uid": "bbbb0000-cccc-4ddd-8eee-ffff00001111"
                        },
                        "type": "Opaque"
                    },
                    {
                        "apiVersion": "v1",
                        "data": {".dockerconfigjson": "\(b64(dockerConfig))"},
                        "kind": "Secret",
                        "metadata": {
                            "creationTimestamp": "2023-02-14T09:30:00Z",
                            "name": "ghcr-pull",
                            "namespace": "payments",
                            "resourceVersion": "48300",
                            "uid": "cccc0000-dddd-4eee-8fff-000011112222"
                        },
                        "type": "kubernetes.io/dockerconfigjson"
                    },
                    {
                        "apiVersion": "v1",
                        "data": {"release": "\(b64("H4sIAAAAAAAC/compressed-helm-release"))"},
                        "kind": "Secret",
                        "metadata": {"name": "sh.helm.release.v1.billing.v3", "namespace": "payments", "uid": "dddd0000-eeee-4fff-8000-111122223333"},
                        "type": "helm.sh/release.v1"
                    },
                    {
                        "apiVersion": "v1",
                        "data": {"color": "blue"},
                        "kind": "ConfigMap",
                        "metadata": {"name": "settings", "namespace": "payments"}
                    }
                ],
                "kind": "List",
                "metadata": {"resourceVersion": ""}
            }
            """
    }

    func item(_ result: ImportResult, _ name: String, _ kind: InventoryItem.Kind? = nil) throws -> InventoryItem {
        try #require(result.items.first { $0.name == name && (kind == nil || $0.kind == kind) }, "no item named \(name)")
    }

    @Test func serviceAccountsAndSecrets() throws {
        let tls = try Self.tlsMaterial()
        let result = try ImportFixtures.parse(Self.listing(tls), .kubernetes, source: "cluster-prod.json")
        #expect(result.recordsRead == 8)
        #expect(result.warnings == ["skipped objects of kind ConfigMap: only ServiceAccounts and Secrets are imported"])
        #expect(result.items.map(\.kind) == [
            .kubernetesServiceAccount, .kubernetesServiceAccount, .kubernetesToken, .x509Certificate, .privateKey,
            .password, .apiToken, .apiToken, .apiToken,
        ])

        let billing = try item(result, "payments/billing", .kubernetesServiceAccount)
        #expect(billing.fingerprint == ImportFixtures.sha256("k8s-sa:5f0e7a4c-3c1b-4a8e-9d61-2b7f0c3e9a11"))
        #expect(billing.attributes == [
            "namespace": "payments", "uid": "5f0e7a4c-3c1b-4a8e-9d61-2b7f0c3e9a11", "automount": "false",
            "secrets": "billing-token", "image_pull_secrets": "ghcr-pull",
            "aws_role_arn": "arn:aws:iam::123456789012:role/billing",
        ])
        #expect(billing.owner == "payments")
        #expect(billing.ownerSource == "source")
        #expect(billing.created == ImportFixtures.date("2023-02-14T09:26:53Z"))
        #expect(billing.locations.map(\.type) == ["account"])
        #expect(billing.locations.map(\.target) == ["k8s:payments/serviceaccount/billing"])
        #expect(billing.detector == "import:kubectl")

        let defaultAccount = try item(result, "kube-system/default")
        #expect(defaultAccount.attributes["automount"] == "true")
        #expect(defaultAccount.owner == nil)

        let token = try item(result, "payments/billing-token")
        #expect(token.kind == .kubernetesToken)
        #expect(token.fingerprint == ImportFixtures.hmac(Self.token))
        #expect(token.preview == "eyJh…c3Rz")
        #expect(token.expires == nil)
        #expect(token.notes == ["long-lived-token"])
        #expect(token.lastUsed == ImportFixtures.date("2024-05-08T00:00:00Z"))
        #expect(token.status == .active)
        #expect(token.attributes == [
            "namespace": "payments", "secret": "billing-token", "service_account": "billing",
            "service_account_uid": "5f0e7a4c-3c1b-4a8e-9d61-2b7f0c3e9a11",
        ])
        #expect(token.locations.map(\.target) == ["k8s:payments/secret/billing-token"])

        let certificate = try #require(result.items.first { $0.kind == .x509Certificate })
        #expect(certificate.fingerprint == tls.fingerprint)
        #expect(certificate.certificate?.subject == "CN=checkout.payments.svc")
        #expect(certificate.certificate?.sans == ["DNS:checkout.payments.svc"])
        #expect(abs((certificate.expires ?? .distantPast).timeIntervalSince(tls.notAfter)) < 1)
        #expect(certificate.locations.map(\.type) == ["account"])
        #expect(certificate.locations.map(\.target) == ["k8s:payments/secret/checkout-tls"])
        #expect(certificate.locations.first?.line == nil)
        #expect(certificate.attributes == ["namespace": "payments", "secret": "checkout-tls", "data_key": "tls.crt"])
        // The Signet annotation wins over the owner label.
        #expect(certificate.owner == "checkout-team")
        #expect(certificate.detector == "import:kubectl")

        let key = try #require(result.items.first { $0.kind == .privateKey })
        #expect(key.fingerprint == tls.fingerprint)
        #expect(key.algorithm == "EC P-256")
        #expect(key.attributes["data_key"] == "tls.key")
        #expect(key.owner == "checkout-team")

        let password = try item(result, "payments/db-credentials:DB_PASSWORD")
        #expect(password.kind == .password)
        #expect(password.fingerprint == ImportFixtures.hmac(Self.databasePassword))
        #expect(password.preview == "Tr0u…orse")
        #expect(password.owner == "billing-oncall")
        #expect(password.attributes == [
            "namespace": "payments", "secret": "db-credentials", "data_key": "DB_PASSWORD", "secret_type": "Opaque",
        ])

        let apiKey = try item(result, "payments/db-credentials:api_key")
        #expect(apiKey.kind == .apiToken)
        #expect(apiKey.fingerprint == ImportFixtures.hmac(Self.apiKey))
        #expect(!result.items.contains { $0.name == "payments/db-credentials:DB_USERNAME" })
        #expect(!result.items.contains { $0.name == "payments/db-credentials:empty-token" })
        #expect(!result.items.contains { $0.name?.contains("helm") == true })

        let ghcr = try item(result, "payments/ghcr-pull:ghcr.io")
        #expect(ghcr.kind == .apiToken)
        #expect(ghcr.fingerprint == ImportFixtures.hmac(Self.registryPassword))
        #expect(ghcr.attributes["registry"] == "ghcr.io")
        #expect(ghcr.attributes["username"] == "payments-bot")
        let privateRegistry = try item(result, "payments/ghcr-pull:registry.example.com:5000")
        // Only `auth` is set: its password half is the secret, its user half the username.
        #expect(privateRegistry.fingerprint == ImportFixtures.hmac(Self.databasePassword))
        #expect(privateRegistry.attributes["username"] == "deploy")
    }

    @Test func noSecretValueReachesTheResult() throws {
        let tls = try Self.tlsMaterial()
        let result = try ImportFixtures.parse(Self.listing(tls), .kubernetes)
        let json = try ImportFixtures.encoded(result)
        let keyBody = tls.keyPEM.split(separator: "\n").dropFirst().dropLast().joined()
        for secret in [Self.token, Self.databasePassword, Self.apiKey, Self.registryPassword, Self.lastAppliedPassword, keyBody,
                       String(Self.token.prefix(24)), String(keyBody.prefix(24))] {
            #expect(!json.contains(secret), "a secret value leaked into the result")
            #expect(!json.contains(ImportFixtures.base64(secret)), "a base64 secret value leaked into the result")
        }
        // The check itself can fail: the hashed values are there, the previews too.
        #expect(json.contains(ImportFixtures.hmac(Self.token)))
        #expect(json.contains("Tr0u"))
    }

    @Test func sameCertificateInTwoSecretsIsOneItemWithTwoLocations() throws {
        let tls = try Self.tlsMaterial()
        let secret = { (name: String) in
            #"{"apiVersion":"v1","kind":"Secret","type":"kubernetes.io/tls","metadata":{"name":"\#(name)","namespace":"web"},"data":{"tls.crt":"\#(ImportFixtures.base64(tls.certificatePEM))"}}"#
        }
        let text = #"{"apiVersion":"v1","kind":"List","items":[\#(secret("a-tls")),\#(secret("b-tls"))]}"#
        let result = try ImportFixtures.parse(text, .kubernetes)
        #expect(result.items.count == 1)
        #expect(result.items.first?.locations.map(\.target) == ["k8s:web/secret/a-tls", "k8s:web/secret/b-tls"])
    }

    @Test func invalidatedTokenIsRetiredAndSingleObjectsAreAccepted() throws {
        let text = """
            {"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/service-account-token",
             "metadata": {"name": "old-token", "namespace": "ci", "labels": {"kubernetes.io/legacy-token-invalid-since": "2024-01-01"}},
             "data": {"token": "\(ImportFixtures.base64("abcdefghijklmnopqrstuvwxyz"))"}}
            """
        let result = try ImportFixtures.parse(text, .kubernetes)
        #expect(result.recordsRead == 1)
        #expect(result.items.first?.status == .retired)
        #expect(result.items.first?.preview == "abcd…wxyz")
    }

    @Test func unissuedTokenAndGarbageTLSAreSkippedWithWarnings() throws {
        let text = """
            {"apiVersion": "v1", "kind": "List", "items": [
              {"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/service-account-token", "metadata": {"name": "pending", "namespace": "ci"}},
              {"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls", "metadata": {"name": "broken", "namespace": "ci"},
               "data": {"tls.crt": "\(ImportFixtures.base64("not a certificate"))", "tls.key": ""}}
            ]}
            """
        let result = try ImportFixtures.parse(text, .kubernetes)
        #expect(result.items.isEmpty)
        #expect(result.warnings == [
            "Secret ci/pending: the service-account token has not been issued yet; skipped",
            "Secret ci/broken: tls.crt holds no parsable x509-certificate; skipped",
        ])
    }

    // MARK: - Malformed listings

    @Test func invalidBase64NamesTheSecretAndKeyButNotTheValue() throws {
        let text = """
            {"apiVersion": "v1", "kind": "List", "items": [
              {"apiVersion": "v1", "kind": "Secret", "type": "Opaque", "metadata": {"name": "db", "namespace": "prod"},
               "data": {"password": "hunter2-not-base64!!"}}
            ]}
            """
        let error = try #require(ImportFixtures.importError(text, .kubernetes))
        #expect(error.record == "items[0] (Secret prod/db)")
        #expect(error.field == "data.password")
        #expect(!error.description.contains("hunter2"))
    }

    @Test func missingNameAndWrongTypes() throws {
        let noName = #"{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"ServiceAccount","metadata":{"namespace":"x"}}]}"#
        let nameError = try #require(ImportFixtures.importError(noName, .kubernetes))
        #expect(nameError.record == "items[0].metadata")
        #expect(nameError.field == "name")

        let badItems = #"{"apiVersion":"v1","kind":"List","items":{"a":1}}"#
        #expect(ImportFixtures.importError(badItems, .kubernetes)?.field == "items")

        let badAutomount = #"{"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"a"},"automountServiceAccountToken":"yes"}"#
        let automountError = try #require(ImportFixtures.importError(badAutomount, .kubernetes))
        #expect(automountError.field == "automountServiceAccountToken")
        #expect(automountError.record == "input (ServiceAccount default/a)")

        let badDate = #"{"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"a","creationTimestamp":"yesterday"}}"#
        #expect(ImportFixtures.importError(badDate, .kubernetes)?.field == "creationTimestamp")

        let notKubernetes = #"{"entries":[]}"#
        #expect(ImportFixtures.importError(notKubernetes, .kubernetes)?.expected.contains("kubectl get") == true)

        let truncated = String(Self.listing(try Self.tlsMaterial()).prefix(500))
        #expect(ImportFixtures.importError(truncated, .kubernetes)?.problem.hasPrefix("invalid JSON") == true)
    }
}
