import ArgumentParser
import Foundation
import SignetCore
import SignetPKI
import X509

struct X509Command: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "x509", abstract: "X.509-SVIDs.", subcommands: [Mint.self])

    struct Mint: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Mint an X.509-SVID for a registered SPIFFE ID.",
            discussion: """
                Generates the key locally (it never leaves this machine), sends a CSR, and writes
                DIR/svid.pem (leaf + intermediates), DIR/svid.key (mode 0600) and DIR/bundle.pem.
                The SPIFFE ID needs a registration entry (`signet entry create`).
                """)
        @OptionGroup var client: ClientOptions
        @Option(help: "SPIFFE ID to mint.") var spiffeID: String
        @Option(help: "Directory to write svid.pem, svid.key and bundle.pem into.") var out: String
        @Option(help: "Lifetime, at most the entry's X.509 TTL (e.g. 30m).") var ttl: String?
        @Option(help: "Key type: p256, p384, rsa2048, rsa3072.") var keyType: String = "p256"
        @Option(help: "Output format of the summary.") var output: OutputFormat = .table

        func run() async throws {
            let id: SPIFFEID
            do { id = try SPIFFEID(spiffeID) } catch { throw ValidationError("--spiffe-id: \(error.description)") }
            let key = try KeyType(parsing: keyType).generate()
            let csr = try CertificateSigningRequest(
                version: .v1, subject: DistinguishedName(), privateKey: key, attributes: CertificateSigningRequest.Attributes())
            var body: [String: Any] = ["spiffe_id": id.description, "csr": try csr.serializeAsPEM().pemString]
            if let ttl { body["ttl"] = ttl }
            let data = try await withAdminClient(client) { try await $0.sendJSON(.POST, "/v1/svids/x509", body: body) }
            guard let response = try JSONSerialization.jsonObject(with: data) as? [String: Any],
                let chain = response["certificate_chain"] as? String, let bundle = response["bundle"] as? String
            else { throw CLIError("unexpected response from server") }
            try SecureFile.makeDirectory(out)
            try SecureFile.write(PEM.encode(key), to: out + "/svid.key")
            try SecureFile.write(chain, to: out + "/svid.pem", mode: 0o644)
            try SecureFile.write(bundle, to: out + "/bundle.pem", mode: 0o644)
            if output == .json {
                var summary = response
                summary.removeValue(forKey: "certificate_chain")
                summary.removeValue(forKey: "bundle")
                summary["files"] = [out + "/svid.pem", out + "/svid.key", out + "/bundle.pem"]
                print(String(decoding: try JSONSerialization.data(withJSONObject: summary, options: [.sortedKeys]), as: UTF8.self))
            } else {
                print("minted \(id) serial \(response["serial"] ?? "") expires \(response["not_after"] ?? "")")
                print("wrote \(out)/svid.pem, \(out)/svid.key (0600), \(out)/bundle.pem")
            }
        }
    }
}
