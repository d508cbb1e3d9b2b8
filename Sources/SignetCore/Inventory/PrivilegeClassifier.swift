import Foundation

/// Decides which granted privileges make a machine credential over-privileged.
///
/// A leaked machine credential is worth exactly what it may do. Privileges arrive as the strings
/// the importers saw (IAM policy names and ARNs, IAM actions, Kubernetes roles, GitHub scopes and
/// permissions, GCP roles), so classification is by name, ignoring ASCII case and surrounding
/// spaces:
///
/// Unrestricted (everything, everywhere; `over-privileged` is critical):
/// - `*`, `*:*`, `Action:*` (an IAM statement allowing every action)
/// - the AWS managed policy `AdministratorAccess`, by name or ARN
///   (`arn:aws:iam::aws:policy/AdministratorAccess`)
/// - GCP `roles/owner`
///
/// Administrative (control of a whole service, of identities, or of an organisation; high):
/// - a whole service's actions: `iam:*`, `s3:*`, any `service:*`
/// - AWS `PowerUserAccess`, `IAMFullAccess` and any other `…FullAccess` managed policy, by name or ARN
/// - Kubernetes `cluster-admin` and the `system:masters` group
/// - GitHub classic scopes `repo` (full control of private repositories) and `admin:*`
///   (`admin:org`, `admin:repo_hook`, ...), fine-grained `administration:write` and
///   `organization_administration:write`
/// - anything ending in `:admin`, GCP `roles/editor` and predefined admin roles (`roles/storage.admin`,
///   `roles/iam.securityAdmin`)
///
/// Classification compares bytes in place (no lowercased copies), as it runs on every privilege of
/// every item in a recomputation.
public enum PrivilegeClassifier {
    public enum Breadth: Int, Hashable, Sendable, Comparable {
        case administrative = 1
        case unrestricted = 2

        public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    /// How broad `privilege` is, or nil when it is not administrative.
    public static func classify(_ privilege: String) -> Breadth? {
        var text = privilege.utf8[...]
        while let first = text.first, first == 0x20 || first == 0x09 { text = text.dropFirst() }
        while let last = text.last, last == 0x20 || last == 0x09 { text = text.dropLast() }
        guard !text.isEmpty else { return nil }
        if unrestricted.contains(where: { equal(text, $0) }) { return .unrestricted }
        // Managed policies appear by name or as an ARN ending in `policy/<name>`.
        let name = text.lastIndex(of: UInt8(ascii: "/")).map { text[text.index(after: $0)...] } ?? text
        if equal(name, "administratoraccess") { return .unrestricted }
        if administrative.contains(where: { equal(text, $0) }) || hasSuffix(name, "fullaccess")
            || equal(name, "poweruseraccess")
        {
            return .administrative
        }
        if hasPrefix(text, "admin:") || hasSuffix(text, ":admin") { return .administrative }
        // An Allow of every action but a few (IAM `NotAction` on every resource), as importers write it.
        if hasPrefix(text, "* except") { return .administrative }
        if hasPrefix(text, "roles/"), hasSuffix(text, "admin") { return .administrative }
        // `service:*`: every action of one service (but not a resource ARN such as `arn:aws:s3:::b/*`).
        if hasSuffix(text, ":*") {
            let service = text.dropLast(2)
            if !service.isEmpty, !service.contains(where: { $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: "/")
                || $0 == UInt8(ascii: "*") })
            {
                return .administrative
            }
        }
        return nil
    }

    private static let unrestricted: [StaticString] = ["*", "*:*", "action:*", "action: *", "actions:*", "roles/owner"]

    private static let administrative: [StaticString] = [
        "cluster-admin", "system:masters", "repo", "administration:write", "organization_administration:write",
        "roles/editor",
    ]

    private typealias Bytes = Substring.UTF8View

    /// `text` equals the lowercase ASCII `expected`, ignoring the case of `text`.
    private static func equal(_ text: Bytes, _ expected: StaticString) -> Bool {
        text.count == expected.utf8CodeUnitCount && matches(text, at: text.startIndex, expected)
    }

    private static func hasPrefix(_ text: Bytes, _ expected: StaticString) -> Bool {
        text.count >= expected.utf8CodeUnitCount && matches(text, at: text.startIndex, expected)
    }

    private static func hasSuffix(_ text: Bytes, _ expected: StaticString) -> Bool {
        let count = expected.utf8CodeUnitCount
        return text.count >= count && matches(text, at: text.index(text.endIndex, offsetBy: -count), expected)
    }

    private static func matches(_ text: Bytes, at start: Bytes.Index, _ expected: StaticString) -> Bool {
        var index = start
        for offset in 0..<expected.utf8CodeUnitCount {
            guard index < text.endIndex else { return false }
            let byte = text[index]
            let lower = byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
            if lower != expected.utf8Start[offset] { return false }
            index = text.index(after: index)
        }
        return true
    }
}
