import Foundation
import SignetCore

/// Reads `aws iam get-account-authorization-details`: one item per IAM user and per role.
///
/// An IAM principal is what its access keys and sessions act as, and over-privilege is a property
/// of the principal, not of one key: so this import itemises principals, as `cloud-access-key`
/// items fingerprinted `sha256:` + hex SHA-256 of `aws-principal:<arn>` (the document holds no key
/// material). They do not merge with the credential report's per-key items, whose identity is
/// the key slot; both carry `arn`, which is how rules and the UI relate them.
///
/// `privileges` lists the effective policy names (managed policies attached directly or through
/// the user's groups, then inline policies, in document order), then the wildcard actions those
/// policies allow on every resource (`*`, `iam:*`, `* except iam:*`; see
/// ``IAMPolicyDocument/wildcardGrants``). Managed policy documents come from the `Policies` list
/// (default version); a policy missing there contributes its name only, with a warning.
/// Attributes: `principal_type` (`user`/`role`), `arn`, `account`, `path`, `groups` (users),
/// `trusted_principals` (roles: the `Allow` principals of the trust policy, sorted, comma-joined),
/// `permissions_boundary`. An `owner` (or else `team`) tag becomes the item's owner.
struct AWSAuthorizationDetailsImporter {
    static let expected = "the output of aws iam get-account-authorization-details (UserDetailList, RoleDetailList, ...)"
    static let listKeys = ["UserDetailList", "GroupDetailList", "RoleDetailList", "Policies"]

    static func looksLike(_ object: [String: JSONValue]) -> Bool {
        listKeys.contains { object[$0]?.arrayValue != nil }
    }

    /// A policy as attached to a principal: its name and, when known, its document.
    struct Policy {
        var name: String
        var document: IAMPolicyDocument?
    }

    struct Group {
        var managed: [Policy] = []
        var inline: [Policy] = []
    }

    func parse(_ root: JSONNode, context: inout ImportContext) throws(ImportError) -> ImportOutput {
        guard let object = root.object, Self.looksLike(object) else {
            throw root.error(
                nil, "no UserDetailList, GroupDetailList, RoleDetailList or Policies list", expected: Self.expected)
        }
        var records = 0
        var managedDocuments: [String: IAMPolicyDocument] = [:]
        for policy in try root.array("Policies") {
            records += 1
            let arn = try policy.requiredString("Arn", expected: "the policy ARN")
            _ = try policy.requiredString("PolicyName", expected: "the policy name")
            for version in try policy.array("PolicyVersionList") {
                guard try version.bool("IsDefaultVersion") == true, let document = version.child("Document") else {
                    continue
                }
                managedDocuments[arn] = try IAMPolicyDocument(document)
            }
        }

        func managed(_ node: JSONNode) throws(ImportError) -> [Policy] {
            var result: [Policy] = []
            for attached in try node.array("AttachedManagedPolicies") {
                let name = try attached.requiredString("PolicyName", expected: "the managed policy name")
                let arn = try attached.requiredString("PolicyArn", expected: "the managed policy ARN")
                let document = managedDocuments[arn]
                if document == nil {
                    context.warnings.once(
                        key: "policy:" + arn, "managed policy \(arn) is not in Policies; only its name was recorded")
                }
                result.append(Policy(name: name, document: document))
            }
            return result
        }
        func inline(_ node: JSONNode, _ key: String) throws(ImportError) -> [Policy] {
            var result: [Policy] = []
            for policy in try node.array(key) {
                let name = try policy.requiredString("PolicyName", expected: "the inline policy name")
                guard let document = policy.child("PolicyDocument") else {
                    throw policy.error("PolicyDocument", "missing", expected: "the inline policy document")
                }
                result.append(Policy(name: name, document: try IAMPolicyDocument(document)))
            }
            return result
        }

        var groups: [String: Group] = [:]
        for group in try root.array("GroupDetailList") {
            records += 1
            let name = try group.requiredString("GroupName", expected: "the group name")
            groups[name] = Group(managed: try managed(group), inline: try inline(group, "GroupPolicyList"))
        }

        var items: [InventoryItem] = []
        for var user in try root.array("UserDetailList") {
            records += 1
            let name = try user.requiredString("UserName", expected: "the user name")
            user.label = "user " + name
            let groupNames = try user.strings("GroupList")
            var policies = (managed: try managed(user), inline: try inline(user, "UserPolicyList"))
            for groupName in groupNames {
                guard let group = groups[groupName] else {
                    context.warnings.once(
                        key: "group:" + groupName, "group \(groupName) is not in GroupDetailList; its policies are unknown")
                    continue
                }
                policies.managed += group.managed
                policies.inline += group.inline
            }
            var item = try principal(
                user, name: name, type: "user", policies: policies.managed + policies.inline, context: context)
            if !groupNames.isEmpty { item.attributes["groups"] = groupNames.joined(separator: ",") }
            items.append(item)
        }

        for var role in try root.array("RoleDetailList") {
            records += 1
            let name = try role.requiredString("RoleName", expected: "the role name")
            role.label = "role " + name
            let policies = try managed(role) + inline(role, "RolePolicyList")
            var item = try principal(role, name: name, type: "role", policies: policies, context: context)
            if let trust = role.child("AssumeRolePolicyDocument") {
                let principals = Set(try IAMPolicyDocument(trust).allowedPrincipals).sorted()
                if !principals.isEmpty { item.attributes["trusted_principals"] = principals.joined(separator: ",") }
            }
            item.lastUsed = try role.child("RoleLastUsed")?.date("LastUsedDate")
            items.append(item)
        }
        return (items, records)
    }

    private func principal(
        _ node: JSONNode, name: String, type: String, policies: [Policy], context: ImportContext
    ) throws(ImportError) -> InventoryItem {
        let arn = try node.requiredString("Arn", expected: "the \(type)'s ARN")
        guard let account = AWSARN.account(arn) else {
            throw node.error(
                "Arn", "invalid ARN \(ImportError.quote(arn))",
                expected: "an ARN such as arn:aws:iam::123456789012:\(type)/name")
        }
        var privileges: [String] = []
        for policy in policies where !privileges.contains(policy.name) { privileges.append(policy.name) }
        var grants: Set<String> = []
        for policy in policies { grants.formUnion(policy.document?.wildcardGrants ?? []) }
        privileges += grants.sorted().filter { !privileges.contains($0) }

        var attributes = ["principal_type": type, "arn": arn, "account": account]
        if let path = try node.string("Path") { attributes["path"] = path }
        if let boundary = try node.child("PermissionsBoundary")?.string("PermissionsBoundaryArn") {
            attributes["permissions_boundary"] = boundary
        }
        var tags: [String: String] = [:]
        for tag in try node.array("Tags") {
            if let key = try tag.string("Key"), let value = try tag.string("Value") { tags[key.lowercased()] = value }
        }
        return InventoryItem(
            kind: .cloudAccessKey, fingerprint: ReferenceFingerprint.of("aws-principal", arn), detector: context.detector,
            locations: [context.account(arn)], owner: tags["owner"] ?? tags["team"], created: try node.date("CreateDate"),
            privileges: privileges, name: name, attributes: attributes)
    }
}
