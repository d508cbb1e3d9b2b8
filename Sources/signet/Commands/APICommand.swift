import ArgumentParser
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import SignetAgent
import SignetPKI
import SwiftASN1
import X509

/// `signet api ...`: a Workload API client, to see what a workload on this node would get.
struct APICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "api", abstract: "Call the Workload API of a local agent, as a workload would.",
        subcommands: [Fetch.self, Validate.self])

    struct SocketOption: ParsableArguments {
        @Option(help: "Workload API socket (default: SPIFFE_ENDPOINT_SOCKET, else /tmp/signet-agent/public/api.sock).")
        var socket: String?

        var path: String {
            if let socket { return socket.hasPrefix("unix://") ? String(socket.dropFirst(7)) : socket }
            if let env = ProcessInfo.processInfo.environment["SPIFFE_ENDPOINT_SOCKET"], env.hasPrefix("unix://") {
                return String(env.dropFirst(7))
            }
            return "/tmp/signet-agent/public/api.sock"
        }
    }

    struct Fetch: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Fetch this process's X.509-SVIDs or a JWT-SVID.", subcommands: [X509.self, JWT.self])

        struct X509: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Fetch X.509-SVIDs; --write DIR stores svid.N.pem, svid.N.key (0600) and bundle.N.pem.")
            @OptionGroup var socket: SocketOption
            @Option(help: "Directory to write the SVIDs, keys and bundles into.") var write: String?
            @Option(help: "Output format.") var output: OutputFormat = .table

            func run() async throws {
                let response = try await withWorkloadClient(socket.path) { client in
                    try await client.fetchX509SVID(X509SVIDRequest(), metadata: ["workload.spiffe.io": "true"]) { stream in
                        for try await message in stream.messages { return message }
                        throw CLIError("the agent closed the stream without an answer")
                    }
                }
                var summary: [[String: Any]] = []
                for (index, svid) in response.svids.enumerated() {
                    let chain = try splitDER(Array(svid.x509Svid))
                    let leaf = try Certificate(derEncoded: chain[0])
                    summary.append(["spiffe_id": svid.spiffeID, "not_after": ISO8601DateFormatter().string(from: leaf.notValidAfter),
                                    "serial": Fingerprint.hex(leaf.serialNumber.bytes)])
                    if let dir = write {
                        try SecureFile.makeDirectory(dir)
                        let certs = try chain.map { try Certificate(derEncoded: $0) }
                        try SecureFile.write(PEM.encode(certs), to: "\(dir)/svid.\(index).pem", mode: 0o644)
                        let key = PEMDocument(type: "PRIVATE KEY", derBytes: Array(svid.x509SvidKey)).pemString + "\n"
                        try SecureFile.write(key, to: "\(dir)/svid.\(index).key")
                        let roots = try splitDER(Array(svid.bundle)).map { try Certificate(derEncoded: $0) }
                        try SecureFile.write(PEM.encode(roots), to: "\(dir)/bundle.\(index).pem", mode: 0o644)
                    }
                }
                if output == .json {
                    print(String(decoding: try JSONSerialization.data(withJSONObject: ["svids": summary], options: [.sortedKeys]), as: UTF8.self))
                } else {
                    for item in summary { print("\(item["spiffe_id"]!)  expires \(item["not_after"]!)  serial \(item["serial"]!)") }
                    if let write { print("wrote \(response.svids.count) SVID(s) to \(write)") }
                }
            }
        }

        struct JWT: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Fetch a JWT-SVID for an audience and print it.")
            @OptionGroup var socket: SocketOption
            @Option(name: .customLong("audience"), help: "Audience (repeatable).") var audiences: [String] = []
            @Option(help: "Which of this workload's SPIFFE IDs (default: all).") var spiffeID: String?

            func run() async throws {
                guard !audiences.isEmpty else { throw ValidationError("--audience is required") }
                var request = JWTSVIDRequest()
                request.audience = audiences
                request.spiffeID = spiffeID ?? ""
                let finalRequest = request
                let response = try await withWorkloadClient(socket.path) { client in
                    try await client.fetchJWTSVID(finalRequest, metadata: ["workload.spiffe.io": "true"])
                }
                for svid in response.svids { print(svid.svid) }
            }
        }
    }

    struct Validate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Ask the agent to validate a JWT-SVID.")
        @OptionGroup var socket: SocketOption
        @Option(help: "Audience the token must be for.") var audience: String
        @Argument(help: "The token.") var token: String

        func run() async throws {
            var request = ValidateJWTSVIDRequest()
            request.audience = audience
            request.svid = token
            let finalRequest = request
            let response = try await withWorkloadClient(socket.path) { client in
                try await client.validateJWTSVID(finalRequest, metadata: ["workload.spiffe.io": "true"])
            }
            print("valid: \(response.spiffeID)")
        }
    }
}

/// Runs `body` with a Workload API client; gRPC errors become messages that say what happened.
func withWorkloadClient<R: Sendable>(
    _ path: String, _ body: @Sendable (SpiffeWorkloadAPI.Client<HTTP2ClientTransport.Posix>) async throws -> R
) async throws -> R {
    guard FileManager.default.fileExists(atPath: path) else {
        throw CLIError("no Workload API socket at \(path): is `signet agent` running? (see --socket)")
    }
    do {
        return try await withGRPCClient(
            transport: try .http2NIOPosix(target: .unixDomainSocket(path: path), transportSecurity: .plaintext)
        ) { grpc in
            try await body(SpiffeWorkloadAPI.Client(wrapping: grpc))
        }
    } catch let error as RPCError {
        throw CLIError("\(error.code): \(error.message)")
    }
}

/// Splits concatenated DER certificates (the Workload API's chain and bundle encoding) by
/// reading each SEQUENCE's length header.
func splitDER(_ bytes: [UInt8]) throws -> [[UInt8]] {
    var out: [[UInt8]] = []
    var i = 0
    while i < bytes.count {
        guard bytes[i] == 0x30, i + 1 < bytes.count else { throw CLIError("malformed DER in the agent's answer") }
        var length = Int(bytes[i + 1])
        var header = 2
        if length & 0x80 != 0 {
            let count = length & 0x7F
            guard (1...4).contains(count), i + 2 + count <= bytes.count else { throw CLIError("malformed DER length") }
            length = bytes[(i + 2)..<(i + 2 + count)].reduce(0) { $0 << 8 | Int($1) }
            header = 2 + count
        }
        let end = i + header + length
        guard end <= bytes.count else { throw CLIError("truncated DER in the agent's answer") }
        out.append(Array(bytes[i..<end]))
        i = end
    }
    return out
}
