import Foundation
import SignetCore

/// Turns one Kubernetes Secret from a `kubectl ... -o json` listing into inventory items.
///
/// Secret values are decoded only to be fingerprinted (keyed HMAC) and previewed (redacted), or
/// parsed for their public facts (certificates, keys); no decoded byte is kept in an item, a
/// warning or an error. Every item is located at `account` / `k8s:<namespace>/secret/<name>` and
/// carries `namespace` and `secret` attributes.
///
/// By type:
/// - `kubernetes.io/service-account-token`: the token as `kubernetes-token` (attributes
///   `service_account`, `service_account_uid` from the annotations), noted `long-lived-token` and
///   without expiry: these legacy tokens never expire. The `kubernetes.io/legacy-token-last-used`
///   label gives `lastUsed`; `kubernetes.io/legacy-token-invalid-since` makes it `retired`.
/// - `kubernetes.io/tls`: `tls.crt` and `ca.crt` parsed into `x509-certificate` items and `tls.key`
///   into a `private-key` item by ``CredentialFileParser`` (fingerprints are the SPKI hash, so they
///   merge with the same certificate found on disk or on a TLS endpoint).
/// - `kubernetes.io/dockerconfigjson` / `kubernetes.io/dockercfg`: one `api-token` per registry
///   (`ns/secret:registry`; the password, identity token or `auth` secret part is what is
///   fingerprinted; `username` is kept as an attribute).
/// - anything else (`Opaque`, `basic-auth`, ...): a value holding PEM armour is parsed like a file;
///   otherwise each key whose name mentions password, passwd, token, secret, api-key, apikey,
///   access-key or credentials (`_` and `.` read as `-`, names ending in `-id` and user names
///   excluded) and whose value is non-empty becomes `api-token` (name mentions token or api) or
///   `password`, named `ns/secret:key`.
struct KubernetesSecretImporter {
    let parser: CredentialFileParser

    static let secretKeyWords = ["password", "passwd", "token", "secret", "api-key", "apikey", "access-key", "credentials"]

    func items(
        _ node: JSONNode, _ metadata: KubernetesMetadata, into items: inout [InventoryItem], context: inout ImportContext
    ) throws(ImportError) {
        var secret = try Secret(node, metadata, parser: parser)
        switch secret.type {
        case "kubernetes.io/service-account-token":
            guard let token = secret.data["token"], !token.isEmpty else {
                context.warnings.add("\(secret.label): the service-account token has not been issued yet; skipped")
                return
            }
            items.append(try secret.serviceAccountToken(token, node: node, context: context))
        case "kubernetes.io/tls":
            items += secret.parsed("tls.crt", expecting: .x509Certificate, context: &context)
            items += secret.parsed("tls.key", expecting: .privateKey, context: &context)
            items += secret.parsed("ca.crt", expecting: .x509Certificate, context: &context)
        case "kubernetes.io/dockerconfigjson", "kubernetes.io/dockercfg":
            items += secret.registryCredentials(context: &context)
        default:
            secret.base["secret_type"] = secret.type
            for key in secret.data.keys.sorted() {
                guard let bytes = secret.data[key], !bytes.isEmpty else { continue }
                if CredentialFileParser.containsPEMArmour(bytes) {
                    let found = secret.parsed(key, expecting: nil, context: &context)
                    if !found.isEmpty {
                        items += found
                        continue
                    }
                }
                guard let kind = Self.kind(forKey: key) else { continue }
                let name = "\(secret.prefix):\(key)"
                items.append(secret.item(kind, bytes, name: name, extra: ["data_key": key], context: context))
            }
        }
    }

    /// `api-token` or `password` for a data key that names a secret, nil for any other key.
    static func kind(forKey key: String) -> InventoryItem.Kind? {
        let name = String(key.lowercased().map { $0 == "_" || $0 == "." ? "-" : $0 })
        if name.hasSuffix("-id") || name.hasSuffix("username") || name.hasSuffix("user") { return nil }
        guard secretKeyWords.contains(where: name.contains) else { return nil }
        return name.contains("token") || name.contains("api") ? .apiToken : .password
    }

    /// One Secret being imported: its decoded data (held only for this call) and what every item
    /// made from it shares.
    struct Secret {
        let metadata: KubernetesMetadata
        let parser: CredentialFileParser
        let type: String
        let data: [String: [UInt8]]
        /// `k8s:<namespace>/secret/<name>`, the location of every item.
        let target: String
        /// `Secret <namespace>/<name>`, for warnings.
        let label: String
        /// `<namespace>/<name>`, the start of item names.
        let prefix: String
        var base: [String: String]

        init(_ node: JSONNode, _ metadata: KubernetesMetadata, parser: CredentialFileParser) throws(ImportError) {
            self.metadata = metadata
            self.parser = parser
            type = try node.string("type") ?? "Opaque"
            var data: [String: [UInt8]] = [:]
            for (key, encoded) in try node.stringMap("data") {
                guard let bytes = Data(base64Encoded: encoded) else {
                    throw node.error(
                        "data.\(key)", "not valid base64", expected: "base64-encoded secret data, as kubectl prints it")
                }
                data[key] = Array(bytes)
            }
            self.data = data
            prefix = "\(metadata.namespace)/\(metadata.name)"
            target = "k8s:" + metadata.namespace + "/secret/" + metadata.name
            label = "Secret " + prefix
            base = ["namespace": metadata.namespace, "secret": metadata.name]
        }

        /// An item for a secret value: keyed fingerprint and redacted preview, never the value.
        func item(
            _ kind: InventoryItem.Kind, _ secret: [UInt8], name: String, extra: [String: String] = [:],
            context: ImportContext
        ) -> InventoryItem {
            InventoryItem(
                kind: kind, fingerprint: context.fingerprinter.fingerprint(secret), preview: SecretPreview.redact(secret),
                detector: context.detector, locations: [context.account(target)], owner: metadata.owner,
                created: metadata.created, name: name, attributes: base.merging(extra) { $1 })
        }

        mutating func serviceAccountToken(
            _ token: [UInt8], node: JSONNode, context: ImportContext
        ) throws(ImportError) -> InventoryItem {
            if let account = metadata.annotations["kubernetes.io/service-account.name"] {
                base["service_account"] = account
            }
            if let uid = metadata.annotations["kubernetes.io/service-account.uid"] { base["service_account_uid"] = uid }
            var item = item(.kubernetesToken, token, name: prefix, context: context)
            item.notes = ["long-lived-token"]
            if let lastUsed = metadata.labels["kubernetes.io/legacy-token-last-used"] {
                guard let date = ImportDate.parse(lastUsed) else {
                    throw node.error(
                        "metadata.labels.kubernetes.io/legacy-token-last-used",
                        "invalid date \(ImportError.quote(lastUsed))", expected: "a date such as 2024-05-01")
                }
                item.lastUsed = date
            }
            if metadata.labels["kubernetes.io/legacy-token-invalid-since"] != nil { item.status = .retired }
            return item
        }

        /// Certificates and keys in `data[key]`, parsed like a PEM file and relocated to the Secret.
        func parsed(_ key: String, expecting kind: InventoryItem.Kind?, context: inout ImportContext) -> [InventoryItem] {
            guard let bytes = data[key], !bytes.isEmpty else { return [] }
            // A path without an extension: the data is read for PEM only, never as a PKCS#12 or DER
            // file whose whole bytes the file parser would hash.
            let found = parser.parse(bytes, path: "secret-data", now: context.now).filter { kind == nil || $0.kind == kind }
            if found.isEmpty, let kind {
                context.warnings.add("\(label): \(key) holds no parsable \(kind.rawValue); skipped")
            }
            return found.map { parsedItem in
                var item = parsedItem
                item.locations = [context.account(target)]
                item.detector = context.detector
                item.attributes.merge(base) { $1 }
                item.attributes["data_key"] = key
                if let owner = metadata.owner {
                    item.owner = owner
                    item.ownerSource = "source"
                }
                return item
            }
        }

        /// One `api-token` per registry of a `.dockerconfigjson` (`{"auths": {...}}`) or legacy
        /// `.dockercfg` (the registry map itself).
        func registryCredentials(context: inout ImportContext) -> [InventoryItem] {
            let key = type == "kubernetes.io/dockercfg" ? ".dockercfg" : ".dockerconfigjson"
            guard let bytes = data[key] else {
                context.warnings.add("\(label): no \(key) key; skipped")
                return []
            }
            guard let config = try? JSONValue.parse(bytes), let root = config.objectValue else {
                context.warnings.add("\(label): \(key) is not a JSON object; skipped")
                return []
            }
            let auths = key == ".dockercfg" ? root : (root["auths"]?.objectValue ?? [:])
            var items: [InventoryItem] = []
            for registry in auths.keys.sorted() {
                guard let credential = DockerCredential(auths[registry]) else {
                    context.warnings.add("\(label): registry \(registry) has no password, token or auth; skipped")
                    continue
                }
                var extra = ["registry": registry]
                if let username = credential.username { extra["username"] = username }
                let name = "\(prefix):\(registry)"
                items.append(item(.apiToken, credential.secret, name: name, extra: extra, context: context))
            }
            return items
        }
    }
}

/// One registry entry of a Docker config: what is secret in it and who it logs in as.
struct DockerCredential {
    var secret: [UInt8]
    var username: String?

    init?(_ value: JSONValue?) {
        guard let entry = value?.objectValue else { return nil }
        username = entry["username"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        if let password = entry["password"]?.stringValue, !password.isEmpty {
            secret = Array(password.utf8)
        } else if let token = entry["identitytoken"]?.stringValue, !token.isEmpty {
            secret = Array(token.utf8)
        } else if let auth = entry["auth"]?.stringValue, let decoded = Data(base64Encoded: auth), !decoded.isEmpty {
            // `auth` is base64("user:password"): the part after the first colon is the secret.
            let bytes = Array(decoded)
            if let colon = bytes.firstIndex(of: UInt8(ascii: ":")) {
                if username == nil { username = String(decoding: bytes[..<colon], as: UTF8.self) }
                secret = Array(bytes[(colon + 1)...])
            } else {
                secret = bytes
            }
            if secret.isEmpty { return nil }
        } else {
            return nil
        }
    }
}
