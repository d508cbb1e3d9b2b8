import Foundation

/// A real git repository in a temporary directory, built with the `git` CLI for history-scan tests.
///
/// Every command runs with a throwaway HOME, `GIT_CONFIG_NOSYSTEM=1` and an identity given with
/// `-c`, so neither the machine's nor the user's git configuration changes what the tests build;
/// commit dates advance one minute per commit so history order is the order of `commit` calls.
struct GitTestRepository {
    let root: String
    let home: String
    private var clock = 1_700_000_000

    init() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("signet-git-\(UUID().uuidString)").path
        root = base + "/repo"
        home = base + "/home"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        try git("init", "-q", "-b", "main")
    }

    /// The directory holding the repository and the fake HOME (remove it when done).
    var base: String { (root as NSString).deletingLastPathComponent }

    func remove() { try? FileManager.default.removeItem(atPath: base) }

    func write(_ path: String, _ text: String) throws { try write(path, Array(text.utf8)) }

    func write(_ path: String, _ bytes: [UInt8]) throws {
        let full = root + "/" + path
        try FileManager.default.createDirectory(
            atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(bytes).write(to: URL(fileURLWithPath: full))
    }

    func delete(_ path: String) throws { try FileManager.default.removeItem(atPath: root + "/" + path) }

    /// Stages everything and commits; returns the new commit id.
    @discardableResult
    mutating func commit(_ message: String) throws -> String {
        clock += 60
        try git("add", "-A")
        try git("commit", "-q", "--allow-empty", "-m", message, date: clock)
        return try git("rev-parse", "HEAD").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Runs git in the repository and returns its standard output; throws on a non-zero exit.
    @discardableResult
    func git(_ arguments: String..., date: Int? = nil) throws -> String {
        try Self.run(["-C", root, "-c", "user.name=Signet Test", "-c", "user.email=test@signet.invalid",
                      "-c", "commit.gpgsign=false"] + arguments, home: home, date: date)
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    @discardableResult
    static func run(_ arguments: [String], home: String, date: Int? = nil) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git"] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["HOME"] = home
        environment["GIT_CONFIG_NOSYSTEM"] = "1"
        environment["GIT_CONFIG_GLOBAL"] = home + "/.gitconfig"
        if let date {
            environment["GIT_AUTHOR_DATE"] = "@\(date) +0000"
            environment["GIT_COMMITTER_DATE"] = "@\(date) +0000"
        }
        process.environment = environment
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let errorData = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(description: "git \(arguments.joined(separator: " ")): " + String(decoding: errorData, as: UTF8.self))
        }
        return String(decoding: data, as: UTF8.self)
    }
}
