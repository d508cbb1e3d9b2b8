import Foundation
import SignetCore

/// Reads an organisation's token listings from the GitHub REST API: `GET /orgs/{org}/personal-
/// access-tokens` (fine-grained PATs granted to the organisation) and `GET /orgs/{org}/credential-
/// authorizations` (classic PATs, SSH keys and app tokens authorised for SAML SSO). Both are JSON
/// arrays; each element is recognised by its own fields, so pages of both may be concatenated.
///
/// Items: `api-token` (`ssh-key` for SSH key credentials), fingerprinted `sha256:` + hex SHA-256 of
/// `github-token:<token_id>` (fine-grained) or `github-token:<credential_id>` (authorisations): the
/// API never returns token values. Named by `token_name` / `authorized_credential_title`, previewed
/// `…` + `token_last_eight` when given, located at `account` / `github:<login>`, with `created`
/// (access granted / credential authorised), `expires`, `lastUsed`, status `expired` when GitHub
/// says `token_expired`. `privileges` are `<permission>:<level>` for fine-grained tokens (e.g.
/// `administration:write`, `contents:read`, sorted) and the OAuth scopes of classic tokens.
/// Attributes: `github_user`, `repository_selection`, `token_id` or `credential_id`,
/// `credential_type`, `ssh_fingerprint`. The token's GitHub user is not its owner in Signet's
/// sense (a team), so `owner` is left for ownership rules.
struct GitHubTokenImporter {
    static let expected =
        "a JSON array from GET /orgs/{org}/personal-access-tokens or GET /orgs/{org}/credential-authorizations"

    static func isFineGrained(_ object: [String: JSONValue]) -> Bool {
        object["token_id"] != nil || object["token_name"] != nil || object["access_granted_at"] != nil
    }

    static func isAuthorization(_ object: [String: JSONValue]) -> Bool {
        object["credential_id"] != nil || object["credential_type"] != nil
    }

    func parse(_ root: JSONNode, context: inout ImportContext) throws(ImportError) -> ImportOutput {
        guard let elements = root.value.arrayValue else {
            throw root.error(nil, "not a JSON array", expected: Self.expected)
        }
        var items: [InventoryItem] = []
        for (index, element) in elements.enumerated() {
            let node = JSONNode(element, path: "[\(index)]")
            let object = try node.requireObject("a token object")
            if Self.isFineGrained(object) {
                items.append(try fineGrained(node, context: context))
            } else if Self.isAuthorization(object) {
                items.append(try authorization(node, context: context))
            } else {
                throw node.error(nil, "neither a fine-grained token grant nor a credential authorization",
                                 expected: "token_id/token_name or credential_id/credential_type members")
            }
        }
        return (items, elements.count)
    }

    private func fineGrained(_ node: JSONNode, context: ImportContext) throws(ImportError) -> InventoryItem {
        guard let tokenID = try node.integer("token_id") else {
            throw node.error("token_id", "missing", expected: "the token's numeric id")
        }
        var node = node
        node.label = "token \(tokenID)"
        guard let login = try node.child("owner")?.string("login"), !login.isEmpty else {
            throw node.error("owner.login", "missing", expected: "the token owner's login")
        }
        var privileges: [String] = []
        if let permissions = node.child("permissions") {
            for group in ["organization", "repository", "other"] {
                for (permission, level) in try permissions.stringMap(group) { privileges.append("\(permission):\(level)") }
            }
        }
        var attributes = ["github_user": login, "token_id": String(tokenID)]
        if let selection = try node.string("repository_selection") { attributes["repository_selection"] = selection }
        return InventoryItem(
            kind: .apiToken, fingerprint: ReferenceFingerprint.of("github-token", String(tokenID)),
            detector: context.detector, locations: [context.account("github:" + login)],
            created: try node.date("access_granted_at"), expires: try node.date("token_expires_at"),
            lastUsed: try node.date("token_last_used_at"), privileges: privileges.sorted(),
            status: try node.bool("token_expired") == true ? .expired : .active, name: try node.string("token_name"),
            attributes: attributes)
    }

    private func authorization(_ node: JSONNode, context: ImportContext) throws(ImportError) -> InventoryItem {
        guard let credentialID = try node.integer("credential_id") else {
            throw node.error("credential_id", "missing", expected: "the credential's numeric id")
        }
        var node = node
        node.label = "credential \(credentialID)"
        let login = try node.requiredString("login", expected: "the login of the user who authorised the credential")
        let type = try node.string("credential_type") ?? "personal access token"
        var attributes = ["github_user": login, "credential_id": String(credentialID), "credential_type": type]
        if let fingerprint = try node.string("fingerprint") { attributes["ssh_fingerprint"] = fingerprint }
        let lastEight = try node.string("token_last_eight")
        return InventoryItem(
            kind: type.lowercased() == "ssh key" ? .sshKey : .apiToken,
            fingerprint: ReferenceFingerprint.of("github-token", String(credentialID)),
            preview: lastEight.flatMap { $0.isEmpty ? nil : SecretPreview.ellipsis + $0 }, detector: context.detector,
            locations: [context.account("github:" + login)], created: try node.date("credential_authorized_at"),
            expires: try node.date("authorized_credential_expires_at"), lastUsed: try node.date("credential_accessed_at"),
            privileges: try node.strings("scopes"), name: try node.string("authorized_credential_title"),
            attributes: attributes)
    }
}
