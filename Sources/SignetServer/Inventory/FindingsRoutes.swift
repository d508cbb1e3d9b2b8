import Foundation
import Hummingbird
import SignetCore
import SignetStore

/// `/v1/findings` (posture findings, recomputed when the inventory changed) and
/// `/v1/findings/recompute`.
struct FindingsRoutes {
    let authority: SignetAuthority

    func register(on group: RouterGroup<SignetRequestContext>) {
        group.get("findings") { request, context in
            let q = request.uri.queryParameters
            var query = FindingQuery()
            if let severity = q["severity"] {
                guard let s = Finding.Severity(rawValue: String(severity)) else {
                    throw APIError.badRequest("severity must be one of info, low, medium, high, critical")
                }
                query.minimumSeverity = s
            }
            query.owner = q["owner"].map(String.init)
            if let rule = q["rule"] {
                guard let r = Finding.Rule(rawValue: String(rule)) else {
                    throw APIError.badRequest(
                        "rule must be one of \(Finding.Rule.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                query.rule = r
            }
            query.itemID = q["item"].map(String.init)
            if let limit = q["limit"] {
                guard let n = Int(limit), (1...1_000_000).contains(n) else {
                    throw APIError.badRequest("limit must be an integer between 1 and 1000000")
                }
                query.limit = n
            } else {
                query.limit = 10_000
            }
            let (findings, computedAt) = try await authority.findings(query, actor: context.actor)
            return try APIJSON.response(FindingPage(findings: findings, computedAt: computedAt))
        }
        group.post("findings/recompute") { _, context in
            try APIJSON.response(try await authority.recomputeFindings(actor: context.actor))
        }
    }
}
