import Foundation

/// Rules about who answers for a credential and how far it reaches: no or unknown owner, shared
/// between places or teams, administrative privileges.
extension FindingsEngine {
    /// `no-owner` when nobody is recorded (low for Signet-managed items, whose entry names an
    /// owner anyway); `unknown-owner` when the owner is not a registered team (only when the
    /// policy lists the teams).
    func checkOwner(_ item: InventoryItem, into found: inout [Finding]) {
        guard let owner = item.owner, !Self.isBlank(owner) else {
            // The finding's location already says where; a constant sentence costs no allocation.
            found.append(
                finding(
                    .noOwner, item.managedBySignet ? .low : .medium, item,
                    title: kindTexts[Self.kindIndex(item.kind)].noOwner,
                    evidence: item.owner == nil ? "no owner is recorded" : "the recorded owner is blank",
                    fix: "Assign the owning team with `signet inventory assign`, or add an ownership rule that "
                        + "matches it so that its findings reach someone."))
            return
        }
        guard !policy.knownTeams.isEmpty, !policy.knownTeams.contains(owner) else { return }
        var evidence = "owner '\(owner)' is not a registered team"
        if let source = item.ownerSource { evidence += " (set by \(source))" }
        found.append(
            finding(
                .unknownOwner, .medium, item, title: "Owner is not a known team", evidence: evidence,
                fix: "Register the team, or correct the owner (or the ownership rule that set it); findings for an "
                    + "unknown team reach nobody."))
    }

    static func isBlank(_ text: String) -> Bool {
        text.utf8.allSatisfy { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
    }

    /// One credential in several places (files, hosts, accounts, repositories) or claimed by
    /// several owners: it cannot be rotated or revoked without touching all of them, and a leak
    /// cannot be attributed. High for secrets, which authenticate whoever holds them.
    func checkShared(_ item: InventoryItem, into found: inout [Finding]) {
        let repository = item.attributes.isEmpty ? nil : item.attributes["repository"]
        let places =
            item.locations.count < 2 ? item.locations.count
            : Self.distinctPlaces(item.locations, repository: repository)
        var owners: [Substring] = []
        if !item.attributes.isEmpty, let listed = item.attributes["owners"] {
            for name in listed.split(separator: ",") {
                let trimmed = Self.trimmed(name)
                if !trimmed.isEmpty, !owners.contains(trimmed) { owners.append(trimmed) }
            }
        }
        guard places >= 2 || owners.count >= 2 else { return }
        let evidence = Self.text(capacity: 160) { text in
            if places >= 2 {
                text += "seen in "
                text += String(places)
                text += " places: "
                let shown = Self.appendDistinctTargets(item.locations, repository: repository, limit: 3, to: &text)
                if places > shown {
                    text += " and "
                    text += String(places - shown)
                    text += " more"
                }
            }
            if owners.count >= 2 {
                if places >= 2 { text += "; " }
                text += "claimed by "
                text += String(owners.count)
                text += " owners: "
                text += owners.joined(separator: ", ")
            }
        }
        let isSecret = item.kind == .apiToken || item.kind == .cloudAccessKey || item.kind == .password
        found.append(
            finding(
                .shared, isSecret ? .high : .medium, item, title: kindTexts[Self.kindIndex(item.kind)].shared,
                evidence: evidence,
                fix: "Give each workload or team its own credential, move them over, then revoke the shared one; a "
                    + "shared credential cannot be rotated or revoked without breaking all of its users."))
    }

    /// Distinct places among `locations`: (type, target) pairs, ignoring line and commit, with
    /// `git` locations compared by repository, so the files of one repository's history (the
    /// scanners write `<repository>/<path>` targets) and different spellings of its URL are one place.
    /// `repository` is the item's `repository` attribute, the surest way to tell the repository
    /// part of a target from the path part.
    static func distinctPlaces(_ locations: [InventoryItem.Location], repository: String?) -> Int {
        if locations.count > 64 {
            // Large sightings lists: hash once instead of comparing every pair.
            return Set(locations.map { placeKey($0, repository: repository) }).count
        }
        var count = 0
        for index in locations.indices
        where !locations[..<index].contains(where: { samePlace($0, locations[index], repository: repository) }) {
            count += 1
        }
        return count
    }

    /// Appends the targets of the first `limit` distinct places, comma-separated; returns how many.
    private static func appendDistinctTargets(
        _ locations: [InventoryItem.Location], repository: String?, limit: Int, to text: inout String
    ) -> Int {
        var shown = 0
        for index in locations.indices where shown < limit {
            guard !locations[..<index].contains(where: { samePlace($0, locations[index], repository: repository) })
            else { continue }
            if shown > 0 { text += ", " }
            if locations[index].type == "git" {
                text += "git "
                let target = locations[index].target
                text += repositoryPrefix(of: target, repository: repository) ? (repository ?? target) : target
            } else {
                text += locations[index].target
            }
            shown += 1
        }
        return shown
    }

    static func trimmed(_ text: Substring) -> Substring {
        var text = text
        while let first = text.first, first == " " || first == "\t" { text = text.dropFirst() }
        while let last = text.last, last == " " || last == "\t" { text = text.dropLast() }
        return text
    }

    static func samePlace(_ a: InventoryItem.Location, _ b: InventoryItem.Location, repository: String?) -> Bool {
        guard a.type == b.type else { return false }
        if a.target == b.target { return true }
        return a.type == "git"
            && repositoryKey(of: a.target, repository: repository) == repositoryKey(of: b.target, repository: repository)
    }

    private static func placeKey(_ location: InventoryItem.Location, repository: String?) -> String {
        location.type + "\u{0}"
            + (location.type == "git" ? repositoryKey(of: location.target, repository: repository) : location.target)
    }

    /// The canonical repository of a `git` location's target: the item's `repository` attribute
    /// when the target starts with it, otherwise the repository part of a forge URL
    /// (`host/owner/name`), otherwise the whole target.
    static func repositoryKey(of target: String, repository: String?) -> String {
        repositoryKey(repositoryPrefix(of: target, repository: repository) ? (repository ?? target) : target)
    }

    /// True when `target` is `repository` or a path inside it.
    static func repositoryPrefix(of target: String, repository: String?) -> Bool {
        guard let repository, !repository.isEmpty, target.utf8.starts(with: repository.utf8) else { return false }
        let rest = target.utf8.dropFirst(repository.utf8.count)
        return rest.isEmpty || rest.first == UInt8(ascii: "/") || repository.utf8.last == UInt8(ascii: "/")
    }

    /// A repository URL in a canonical spelling: `https://GitHub.com/acme/app.git`,
    /// `git@github.com:acme/app`, `ssh://git@github.com/acme/app/`,
    /// `https://github.com/acme/app/blob/main/.env` and `https://github.com/acme/app/src/.env` all
    /// become `github.com/acme/app`. On a host (a first segment with a dot) only `owner/name` is
    /// kept; a `#fragment` is dropped; local paths are kept whole.
    static func repositoryKey(_ target: String) -> String {
        var text = Substring(target.lowercased())
        if let hash = text.firstIndex(of: "#") { text = text[..<hash] }
        var scpLike = true
        if let scheme = text.firstRange(of: "://") {
            text = text[scheme.upperBound...]
            scpLike = false
        }
        let hostEnd = text.firstIndex(of: "/") ?? text.endIndex
        if let at = text[..<hostEnd].lastIndex(of: "@") { text = text[text.index(after: at)...] }
        var key = String(text)
        // `host:owner/repo` (scp-like syntax) is `host/owner/repo`.
        if scpLike, let colon = key.firstIndex(of: ":"), key[..<colon].firstIndex(of: "/") == nil {
            key.replaceSubrange(colon...colon, with: "/")
        }
        // On a forge, `host/owner/name` is the repository and the rest a path inside it.
        if let slash = key.firstIndex(of: "/"), key[..<slash].contains(".") {
            var end = slash
            for _ in 0..<2 {
                guard end < key.endIndex, let next = key[key.index(after: end)...].firstIndex(of: "/") else {
                    end = key.endIndex
                    break
                }
                end = next
            }
            key = String(key[..<end])
        }
        while key.hasSuffix("/") { key.removeLast() }
        if key.hasSuffix(".git") { key.removeLast(4) }
        return key
    }

    /// Administrative or unrestricted privileges (see ``PrivilegeClassifier``): critical for
    /// `*` and `AdministratorAccess`, high otherwise.
    func checkPrivileges(_ item: InventoryItem, into found: inout [Finding]) {
        guard !item.privileges.isEmpty else { return }
        var broadest: PrivilegeClassifier.Breadth?
        var flagged: [String] = []
        for privilege in item.privileges {
            guard let breadth = PrivilegeClassifier.classify(privilege) else { continue }
            broadest = max(broadest ?? breadth, breadth)
            flagged.append(privilege)
        }
        guard let broadest else { return }
        let shown = flagged.prefix(5).joined(separator: ", ")
        let more = flagged.count > 5 ? " and \(flagged.count - 5) more" : ""
        found.append(
            finding(
                .overPrivileged, broadest == .unrestricted ? .critical : .high, item,
                title: broadest == .unrestricted ? "Unrestricted privileges" : "Administrative privileges",
                evidence: "grants \(shown)\(more)",
                fix: "Replace the broad grants with a least-privilege policy covering only what the workload uses "
                    + "(see the provider's last-accessed data); keep administrative access away from machine "
                    + "credentials."))
    }
}
