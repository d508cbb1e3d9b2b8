import ArgumentParser

@main
struct Signet: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "signet",
        abstract: "Short-lived, verifiable identities for every machine.",
        discussion: """
            Signet is a SPIFFE trust domain CA with an HTTPS admin API. Start one with `signet server`;
            the other commands talk to it over mTLS using the bootstrap admin credential in
            ./signet-data/admin/ (or --data-dir, or --server/--cert/--key/--ca).
            """,
        subcommands: [
            ServerCommand.self, EntryCommand.self, X509Command.self, JWTCommand.self, BundleCommand.self,
            AuditCommand.self, BenchCommand.self, APICommand.self, TokenCommand.self, AgentCommand.self,
            ClientCommand.self, TrustCommand.self, FederationCommand.self, ScanCommand.self, InventoryCommand.self,
            FindingsCommand.self, TeamCommand.self, OwnershipCommand.self,
        ])
}
