import Foundation

/// Titles and fixes that depend only on the kind of credential, built once per engine.
///
/// A full recomputation creates millions of findings; formatting "Certificate expired" afresh for
/// each would allocate as much as everything else the engine does, so findings share these strings.
struct KindTexts: Sendable {
    /// `certificate`, `API token`.
    let noun: String
    let expired: String
    let expiresSoon: String
    let notRotated: String
    let hardCoded: String
    let readableByOthers: String
    let weakKey: String
    let noOwner: String
    let unused: String
    let shared: String
    let replaceFix: String
    let renewSoonFix: String
    let hardCodedFix: String
    let hardCodedInGitFix: String

    init(_ kind: InventoryItem.Kind) {
        let noun = FindingsEngine.noun(kind)
        let capitalized = noun.prefix(1).uppercased() + noun.dropFirst()
        let isCertificate = kind == .x509Certificate || kind == .signetSVID || kind == .sshCertificate
        self.noun = noun
        expired = "\(capitalized) expired"
        expiresSoon = "\(capitalized) expires soon"
        notRotated = "\(capitalized) not rotated"
        hardCoded = "Hard-coded \(noun)"
        readableByOthers = "\(capitalized) readable by others"
        weakKey = "Weak \(noun) key"
        noOwner = "\(capitalized) has no owner"
        unused = "Unused \(noun)"
        shared = "Shared \(noun)"
        replaceFix =
            isCertificate
            ? "Renew the \(noun) and deploy it everywhere it is used (automate renewal, e.g. with ACME), "
                + "or mark the item retired if it is no longer used."
            : "Replace the \(noun) with a new one and update everything that uses it, "
                + "or mark the item retired if it is no longer used."
        renewSoonFix =
            isCertificate
            ? "Renew the \(noun) now and deploy it; automate renewal (e.g. ACME) so it cannot lapse."
            : "Rotate the \(noun) before it expires and update everything that uses it."
        hardCodedFix = FindingsEngine.hardCodedFix(kind, inGit: false)
        hardCodedInGitFix = FindingsEngine.hardCodedFix(kind, inGit: true)
    }

    /// One entry per kind, in the order of ``FindingsEngine/kindIndex(_:)``.
    static func all() -> [KindTexts] {
        let kinds: [InventoryItem.Kind] = [
            .x509Certificate, .privateKey, .sshKey, .sshCertificate, .apiToken, .cloudAccessKey,
            .kubernetesServiceAccount, .kubernetesToken, .jwtSigningTrust, .signetSVID, .signetEntry, .password,
            .pkcs12,
        ]
        precondition(kinds.enumerated().allSatisfy { FindingsEngine.kindIndex($0.element) == $0.offset })
        return kinds.map(KindTexts.init)
    }
}

extension FindingsEngine {
    /// Position of `kind` in ``KindTexts/all()``; a switch, so no lookup or allocation.
    static func kindIndex(_ kind: InventoryItem.Kind) -> Int {
        switch kind {
        case .x509Certificate: 0
        case .privateKey: 1
        case .sshKey: 2
        case .sshCertificate: 3
        case .apiToken: 4
        case .cloudAccessKey: 5
        case .kubernetesServiceAccount: 6
        case .kubernetesToken: 7
        case .jwtSigningTrust: 8
        case .signetSVID: 9
        case .signetEntry: 10
        case .password: 11
        case .pkcs12: 12
        }
    }

    /// `certificate`, `API token`, ... for titles and evidence.
    static func noun(_ kind: InventoryItem.Kind) -> String {
        switch kind {
        case .x509Certificate: "certificate"
        case .privateKey: "private key"
        case .sshKey: "SSH key"
        case .sshCertificate: "SSH certificate"
        case .apiToken: "API token"
        case .cloudAccessKey: "cloud access key"
        case .kubernetesServiceAccount: "Kubernetes service account"
        case .kubernetesToken: "Kubernetes token"
        case .jwtSigningTrust: "JWT signing key"
        case .signetSVID: "SVID"
        case .signetEntry: "registration entry"
        case .password: "password"
        case .pkcs12: "PKCS#12 bundle"
        }
    }

    /// Weights of the severities, read once from ``Finding/Severity/weight`` (which searches
    /// `allCases` and builds an array on every call) so that risk scores cost one switch per finding.
    static let severityWeights: [Int] = Finding.Severity.allCases.map(\.weight)

    static func weight(_ severity: Finding.Severity) -> Int {
        switch severity {
        case .info: severityWeights[0]
        case .low: severityWeights[1]
        case .medium: severityWeights[2]
        case .high: severityWeights[3]
        case .critical: severityWeights[4]
        }
    }
}
