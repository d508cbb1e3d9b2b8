import ArgumentParser
import Foundation

struct BundleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bundle", abstract: "The trust domain's trust bundle.", subcommands: [Show.self])

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case pem, spiffe, jwks
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the bundle: PEM roots, the SPIFFE bundle JSON, or the OIDC JWKS.")
        @OptionGroup var client: ClientOptions
        @Option(help: "pem, spiffe or jwks.") var format: Format = .pem

        func run() async throws {
            let path = switch format {
            case .pem: "/bundle.pem"
            case .spiffe: "/bundle"
            case .jwks: "/keys"
            }
            let data = try await withAdminClient(client, authenticate: false) { try await $0.send(.GET, path) }
            var text = String(decoding: data, as: UTF8.self)
            if text.hasSuffix("\n") { text.removeLast() }
            print(text)
        }
    }
}
