/// The set of detectors a scanner runs, and the rules that implement them.
///
/// Detectors are grouped in families (one file per vendor group under `Detectors/`); the catalog
/// concatenates them in order, generic keyword rules last so specific context always gets the
/// first chance at an assignment.
public struct SecretCatalog: Sendable {
    public let detectors: [SecretDetector]
    let anchorRules: [AnchorRule]
    let assignmentRules: [AssignmentRule]
    let urlRules: [URLRule]

    init(families: [any DetectorFamily.Type]) {
        detectors = families.flatMap { $0.detectors }
        anchorRules = families.flatMap { $0.anchorRules }
        assignmentRules = families.flatMap { $0.assignmentRules }
        urlRules = families.flatMap { $0.urlRules }
        let ids = detectors.map(\.id)
        precondition(Set(ids).count == ids.count, "duplicate detector id in catalog")
    }

    /// Every detector this module ships.
    public static let standard = SecretCatalog(families: [
        CloudProviderDetectors.self,
        SourceControlDetectors.self,
        ChatDetectors.self,
        PaymentDetectors.self,
        MessagingDetectors.self,
        PackageRegistryDetectors.self,
        PrivateKeyDetectors.self,
        JWTDetectors.self,
        ConnectionStringDetectors.self,
        AIProviderDetectors.self,
        InfrastructureDetectors.self,
        SaaSDetectors.self,
        GenericDetectors.self,
    ])

    public func detector(id: String) -> SecretDetector? { detectors.first { $0.id == id } }

    /// All anchor rules, including the synthesised `://` and `=`/`:` anchors.
    var compiledRules: [AnchorRule] {
        anchorRules + URLParser.anchorRules(urlRules) + AssignmentParser.anchorRules(assignmentRules)
    }
}

/// A group of related detectors and their rules.
protocol DetectorFamily {
    static var detectors: [SecretDetector] { get }
    static var anchorRules: [AnchorRule] { get }
    static var assignmentRules: [AssignmentRule] { get }
    static var urlRules: [URLRule] { get }
}

extension DetectorFamily {
    static var anchorRules: [AnchorRule] { [] }
    static var assignmentRules: [AssignmentRule] { [] }
    static var urlRules: [URLRule] { [] }
}
