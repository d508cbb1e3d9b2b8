import Foundation
import SignetCore
import SignetStore

/// Table rendering of inventory items and findings.
enum InventoryPrinter {
    static func day(_ date: Date?) -> String {
        guard let date else { return "-" }
        return String(ISO8601DateFormatter.string(from: date, timeZone: .gmt, formatOptions: [.withFullDate]))
    }

    static func table(_ items: [InventoryItem], now: Date = Date()) {
        var rows = [["ID", "KIND", "NAME/PREVIEW", "OWNER", "STATUS", "EXPIRES", "RISK", "SEEN AT"]]
        for item in items {
            let label = item.name ?? item.preview ?? item.certificate?.subject ?? item.detector ?? ""
            let place = item.locations.first.map { describe($0) } ?? "-"
            let more = item.locations.count > 1 ? " (+\(item.locations.count - 1))" : ""
            rows.append([
                item.id, item.kind.rawValue, String(label.prefix(40)), item.owner ?? "-",
                item.effectiveStatus(at: now).rawValue, day(item.expires), "\(item.riskScore)", place + more,
            ])
        }
        Table.print(rows)
    }

    static func describe(_ location: InventoryItem.Location) -> String {
        var text = location.type + ":" + location.target
        if let line = location.line { text += ":\(line)" }
        if let commit = location.commit { text += "@" + commit.prefix(12) }
        return text
    }

    static func detail(_ detail: InventoryItemDetail, now: Date = Date()) {
        let item = detail.item
        var rows: [(String, String)] = [
            ("id", item.id), ("kind", item.kind.rawValue), ("fingerprint", item.fingerprint),
            ("status", item.effectiveStatus(at: now).rawValue),
            ("owner", item.owner.map { "\($0) (\(item.ownerSource ?? "?"))" } ?? "(none)"),
            ("risk", "\(item.riskScore)"), ("managed", item.managedBySignet ? "yes (issued by Signet)" : "no"),
        ]
        if let name = item.name { rows.append(("name", name)) }
        if let preview = item.preview { rows.append(("preview", preview)) }
        if let detector = item.detector { rows.append(("detector", detector)) }
        if let purpose = item.purpose { rows.append(("purpose", purpose)) }
        if let environment = item.environment { rows.append(("environment", environment)) }
        if let algorithm = item.algorithm {
            rows.append(("key", algorithm + (item.keySize.map { " \($0)" } ?? "") + (item.encrypted ? " (encrypted)" : "")))
        }
        rows.append(("created", day(item.created)))
        rows.append(("expires", day(item.expires)))
        rows.append(("last used", day(item.lastUsed)))
        rows.append(("first seen", day(item.firstSeen)))
        rows.append(("last seen", day(item.lastSeen)))
        if let cert = item.certificate {
            rows.append(("subject", cert.subject))
            rows.append(("issuer", cert.issuer))
            rows.append(("serial", cert.serial))
            if !cert.sans.isEmpty { rows.append(("sans", cert.sans.joined(separator: ", "))) }
            rows.append(("signature", cert.signatureAlgorithm))
            rows.append(("validity", "\(day(cert.notBefore)) .. \(day(cert.notAfter))"))
        }
        if !item.privileges.isEmpty { rows.append(("privileges", item.privileges.joined(separator: ", "))) }
        if !item.notes.isEmpty { rows.append(("notes", item.notes.joined(separator: ", "))) }
        for (key, value) in item.attributes.sorted(by: { $0.key < $1.key }) { rows.append((key, value)) }
        for (key, value) in rows { print("\(key.padding(toLength: 16, withPad: " ", startingAt: 0)) \(value)") }
        print("\nlocations (\(item.locations.count)):")
        for location in item.locations {
            print("  \(describe(location))  first seen \(day(location.firstSeen)), last seen \(day(location.lastSeen))")
        }
        print("\nhistory:")
        print("  \(day(item.firstSeen))  discovered at \(item.locations.first.map(describe) ?? "-")")
        for entry in detail.history { print("  \(day(entry.at))  \(entry.action): \(entry.detail) by \(entry.actor)") }
        print("\nfindings (\(detail.findings.count)):")
        for stored in detail.findings {
            let f = stored.finding
            print("  [\(f.severity.rawValue)] \(f.rule.rawValue): \(f.title)\n      evidence: \(f.evidence)\n      fix: \(f.fix)")
        }
    }

    static func findings(_ findings: [StoredFinding]) {
        var rows = [["SEVERITY", "RULE", "ITEM", "OWNER", "EVIDENCE"]]
        for stored in findings {
            let f = stored.finding
            rows.append([f.severity.rawValue, f.rule.rawValue, f.itemID, f.owner ?? "-", String(f.evidence.prefix(80))])
        }
        Table.print(rows)
    }
}
