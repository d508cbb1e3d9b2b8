import Foundation
import SignetCore

/// Reads `kubectl get serviceaccounts,secrets -A -o json`: a `List` of ServiceAccounts and
/// Secrets (a single object, or an API `...List`, is accepted too). Other kinds are skipped with
/// one warning per kind.
///
/// A ServiceAccount becomes a `kubernetes-service-account` item fingerprinted `sha256:` + hex
/// SHA-256 of `k8s-sa:<metadata.uid>` (`k8s-sa:<namespace>/<name>` when the uid is absent), named
/// `namespace/name`, located at `account` / `k8s:<namespace>/serviceaccount/<name>`, with
/// attributes `namespace`, `uid`, `automount` (`automountServiceAccountToken`; `true` when unset,
/// as Kubernetes defaults it), `secrets` and `image_pull_secrets` (names, comma-joined) and the
/// workload-identity links `aws_role_arn` (EKS IRSA) and `gcp_service_account` (GKE) when
/// annotated. Secrets are handled by ``KubernetesSecretImporter``.
///
/// Owner, for both kinds: the `signet.io/owner` annotation, else the `owner` label, else the
/// `team` label (owner source `source`). Only named annotations are read: never the whole map,
/// because `kubectl.kubernetes.io/last-applied-configuration` can hold a Secret's values in clear.
struct KubernetesImporter {
    static let expected =
        "the output of kubectl get serviceaccounts,secrets -A -o json (a List of ServiceAccounts and Secrets)"

    static func looksLike(_ object: [String: JSONValue]) -> Bool {
        guard let kind = object["kind"]?.stringValue, object["apiVersion"]?.stringValue != nil else { return false }
        return kind == "List" || kind == "ServiceAccount" || kind == "Secret" || kind == "ServiceAccountList"
            || kind == "SecretList"
    }

    let parser: CredentialFileParser

    func parse(_ root: JSONNode, context: inout ImportContext) throws(ImportError) -> ImportOutput {
        guard let object = root.object, Self.looksLike(object) else {
            throw root.error("kind", "not a Kubernetes List, ServiceAccount or Secret", expected: Self.expected)
        }
        let objects: [JSONNode]
        if object["kind"]?.stringValue?.hasSuffix("List") == true {
            guard object["items"]?.arrayValue != nil else {
                throw root.error("items", "missing or not an array", expected: Self.expected)
            }
            objects = try root.array("items").enumerated().map { JSONNode($1.value, path: "items[\($0)]") }
        } else {
            objects = [root]
        }
        var items: [InventoryItem] = []
        let secrets = KubernetesSecretImporter(parser: parser)
        for var node in objects {
            _ = try node.requireObject("a Kubernetes object")
            let kind = try node.requiredString("kind", expected: "the object's kind (ServiceAccount or Secret)")
            guard kind == "ServiceAccount" || kind == "Secret" else {
                context.warnings.once(
                    key: "kind:" + kind, "skipped objects of kind \(kind): only ServiceAccounts and Secrets are imported")
                continue
            }
            let metadata = try KubernetesMetadata(node)
            node.label = "\(kind) \(metadata.namespace)/\(metadata.name)"
            if kind == "ServiceAccount" {
                items.append(try serviceAccount(node, metadata, context: context))
            } else {
                try secrets.items(node, metadata, into: &items, context: &context)
            }
        }
        return (items, objects.count)
    }

    private func serviceAccount(
        _ node: JSONNode, _ metadata: KubernetesMetadata, context: ImportContext
    ) throws(ImportError) -> InventoryItem {
        let automount = try node.bool("automountServiceAccountToken") ?? true
        var attributes = ["namespace": metadata.namespace, "automount": String(automount)]
        if let uid = metadata.uid { attributes["uid"] = uid }
        for (key, attribute) in [("secrets", "secrets"), ("imagePullSecrets", "image_pull_secrets")] {
            var names: [String] = []
            for reference in try node.array(key) {
                if let name = try reference.string("name") { names.append(name) }
            }
            if !names.isEmpty { attributes[attribute] = names.joined(separator: ",") }
        }
        if let role = metadata.annotations["eks.amazonaws.com/role-arn"] { attributes["aws_role_arn"] = role }
        if let account = metadata.annotations["iam.gke.io/gcp-service-account"] {
            attributes["gcp_service_account"] = account
        }
        return InventoryItem(
            kind: .kubernetesServiceAccount,
            fingerprint: ReferenceFingerprint.of("k8s-sa", metadata.uid ?? "\(metadata.namespace)/\(metadata.name)"),
            detector: context.detector,
            locations: [context.account("k8s:\(metadata.namespace)/serviceaccount/\(metadata.name)")],
            owner: metadata.owner, created: metadata.created, name: "\(metadata.namespace)/\(metadata.name)",
            attributes: attributes)
    }
}

/// The `metadata` facts the importer reads: identity, creation time, ownership labels and the few
/// annotations it knows by name.
struct KubernetesMetadata {
    var name: String
    var namespace: String
    var uid: String?
    var created: Date?
    var labels: [String: String]
    var annotations: [String: String]

    init(_ object: JSONNode) throws(ImportError) {
        guard let metadata = object.child("metadata") else {
            throw object.error("metadata", "missing", expected: "the object's metadata with a name")
        }
        _ = try metadata.requireObject("the object's metadata")
        name = try metadata.requiredString("name", expected: "metadata.name")
        namespace = try metadata.string("namespace") ?? "default"
        uid = try metadata.string("uid")
        created = try metadata.date("creationTimestamp")
        labels = try metadata.stringMap("labels")
        // Only the annotations read by name are kept (see KubernetesImporter on last-applied-configuration).
        annotations = try metadata.stringMap("annotations").filter { Self.annotationsRead.contains($0.key) }
    }

    static let annotationsRead: Set<String> = [
        "signet.io/owner", "eks.amazonaws.com/role-arn", "iam.gke.io/gcp-service-account",
        "kubernetes.io/service-account.name", "kubernetes.io/service-account.uid",
    ]

    var owner: String? {
        annotations["signet.io/owner"] ?? labels["owner"] ?? labels["team"]
    }
}
