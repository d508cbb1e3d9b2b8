import Foundation
import SignetCore
import Testing

@testable import SignetDiscovery

/// GitHub's organisation token listings: fine-grained PAT grants and SAML credential authorisations.
@Suite struct GitHubTokenImportTests {
    static let fineGrained = """
        [
          {
            "id": 25381,
            "owner": {"login": "octocat", "id": 1, "node_id": "MDQ6VXNlcjE=", "type": "User", "site_admin": false},
            "repository_selection": "all",
            "repositories_url": "https://api.github.com/organizations/652551/personal-access-tokens/25381/repositories",
            "permissions": {
              "organization": {"members": "read"},
              "repository": {"administration": "write", "contents": "read", "metadata": "read"},
              "other": {}
            },
            "access_granted_at": "2023-05-16T08:47:09.000-07:00",
            "token_id": 98716,
            "token_name": "deploy-bot",
            "token_expired": false,
            "token_expires_at": null,
            "token_last_used_at": "2024-05-09T10:00:00Z"
          },
          {
            "id": 25382,
            "owner": {"login": "hubot", "id": 2, "type": "User"},
            "repository_selection": "subset",
            "repositories_url": "https://api.github.com/organizations/652551/personal-access-tokens/25382/repositories",
            "permissions": {"repository": {"issues": "write"}},
            "access_granted_at": "2023-01-01T00:00:00Z",
            "token_id": 98717,
            "token_name": "triage",
            "token_expired": true,
            "token_expires_at": "2024-01-01T00:00:00Z",
            "token_last_used_at": null
          }
        ]
        """

    static let authorizations = """
        [
          {
            "login": "octocat",
            "credential_id": 161195,
            "credential_type": "personal access token",
            "token_last_eight": "71c3fc11",
            "credential_authorized_at": "2011-01-26T19:06:43Z",
            "credential_accessed_at": "2024-05-01T00:00:00Z",
            "scopes": ["repo", "admin:org", "workflow"],
            "authorized_credential_id": 12345678,
            "authorized_credential_title": "ci release token",
            "authorized_credential_note": "release",
            "authorized_credential_expires_at": "2024-11-26T19:06:43Z"
          },
          {
            "login": "octocat",
            "credential_id": 161196,
            "credential_type": "SSH key",
            "credential_authorized_at": "2020-06-01T00:00:00Z",
            "credential_accessed_at": null,
            "fingerprint": "jklmnop12345678",
            "authorized_credential_id": 12345679,
            "authorized_credential_title": "laptop",
            "authorized_credential_expires_at": null
          }
        ]
        """

    @Test func fineGrainedTokens() throws {
        let result = try ImportFixtures.parse(Self.fineGrained, .githubTokens, source: "acme-pats.json")
        #expect(result.recordsRead == 2)
        #expect(result.warnings.isEmpty)
        let deploy = try #require(result.items.first)
        #expect(deploy.kind == .apiToken)
        #expect(deploy.name == "deploy-bot")
        #expect(deploy.fingerprint == ImportFixtures.sha256("github-token:98716"))
        #expect(deploy.preview == nil)
        #expect(deploy.privileges == ["administration:write", "contents:read", "members:read", "metadata:read"])
        #expect(deploy.attributes == ["github_user": "octocat", "token_id": "98716", "repository_selection": "all"])
        #expect(deploy.owner == nil)
        #expect(deploy.created == ImportFixtures.date("2023-05-16T15:47:09Z"))
        #expect(deploy.expires == nil)
        #expect(deploy.lastUsed == ImportFixtures.date("2024-05-09T10:00:00Z"))
        #expect(deploy.status == .active)
        #expect(deploy.locations.map(\.type) == ["account"])
        #expect(deploy.locations.map(\.target) == ["github:octocat"])
        #expect(deploy.detector == "import:github-tokens")

        let triage = try #require(result.items.last)
        #expect(triage.status == .expired)
        #expect(triage.expires == ImportFixtures.date("2024-01-01T00:00:00Z"))
        #expect(triage.lastUsed == nil)
        #expect(triage.privileges == ["issues:write"])
        #expect(triage.attributes["repository_selection"] == "subset")
    }

    @Test func credentialAuthorizations() throws {
        let result = try ImportFixtures.parse(Self.authorizations, .githubTokens)
        #expect(result.items.count == 2)
        let pat = try #require(result.items.first)
        #expect(pat.kind == .apiToken)
        #expect(pat.fingerprint == ImportFixtures.sha256("github-token:161195"))
        #expect(pat.preview == "…71c3fc11")
        #expect(pat.name == "ci release token")
        #expect(pat.privileges == ["repo", "admin:org", "workflow"])
        #expect(pat.expires == ImportFixtures.date("2024-11-26T19:06:43Z"))
        #expect(pat.lastUsed == ImportFixtures.date("2024-05-01T00:00:00Z"))
        #expect(pat.created == ImportFixtures.date("2011-01-26T19:06:43Z"))
        #expect(pat.attributes == ["github_user": "octocat", "credential_id": "161195", "credential_type": "personal access token"])

        let ssh = try #require(result.items.last)
        #expect(ssh.kind == .sshKey)
        #expect(ssh.name == "laptop")
        #expect(ssh.preview == nil)
        #expect(ssh.attributes["ssh_fingerprint"] == "jklmnop12345678")
        #expect(ssh.fingerprint == ImportFixtures.sha256("github-token:161196"))
    }

    @Test func concatenatedPagesOfBothShapes() throws {
        #expect(Self.fineGrained.hasSuffix("]") && Self.authorizations.hasPrefix("["))
        let merged = String(Self.fineGrained.dropLast()) + "," + String(Self.authorizations.dropFirst())
        let result = try ImportFixtures.parse(merged, .githubTokens)
        #expect(result.items.map(\.kind) == [.apiToken, .apiToken, .apiToken, .sshKey])
    }

    @Test func malformedListings() throws {
        let notArray = try #require(ImportFixtures.importError(#"{"token_id": 1}"#, .githubTokens))
        #expect(notArray.problem == "not a JSON array")

        let unknown = try #require(ImportFixtures.importError(#"[{"name": "x"}]"#, .githubTokens))
        #expect(unknown.record == "[0]")

        let noOwner = Self.fineGrained.replacingOccurrences(of: #""owner": {"login": "hubot", "id": 2, "type": "User"},"#, with: "")
        let ownerError = try #require(ImportFixtures.importError(noOwner, .githubTokens))
        #expect(ownerError.record == "[1] (token 98717)")
        #expect(ownerError.field == "owner.login")

        let badDate = Self.fineGrained.replacingOccurrences(of: "2024-05-09T10:00:00Z", with: "last tuesday")
        let dateError = try #require(ImportFixtures.importError(badDate, .githubTokens))
        #expect(dateError.field == "token_last_used_at")
        #expect(dateError.record == "[0] (token 98716)")

        let badID = Self.authorizations.replacingOccurrences(of: "\"credential_id\": 161196", with: "\"credential_id\": 1.5")
        #expect(ImportFixtures.importError(badID, .githubTokens)?.field == "credential_id")

        let badScopes = Self.authorizations.replacingOccurrences(of: "\"workflow\"]", with: "7]")
        #expect(ImportFixtures.importError(badScopes, .githubTokens)?.field == "scopes")
    }
}
