import Foundation

/// A repository whose history `--git` scans: where it is, and the name inventory locations give it.
public struct GitRepository: Sendable, Hashable {
    /// Absolute path of the work tree's top level (the git directory for a bare repository); every
    /// git command runs with `-C root`.
    public let root: String
    /// The repository as inventory locations name it: the `origin` remote URL with any user name or
    /// password removed, else `root`.
    public let name: String
    let git: GitExecutable

    /// The repository containing `path` (a directory, or a file whose directory is used).
    ///
    /// Blocking: runs `git rev-parse` and `git config`.
    static func open(_ path: String, git: GitExecutable) throws -> GitRepository {
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
        guard exists else { throw GitHistoryError.notARepository(path: path, detail: "no such file or directory") }
        let directory = isDirectory.boolValue ? path : (path as NSString).deletingLastPathComponent
        let start = directory.isEmpty ? "." : directory
        let facts: [String]
        do {
            facts = try lines(git, in: start, ["rev-parse", "--is-bare-repository", "--absolute-git-dir"])
        } catch GitHistoryError.commandFailed(_, _, let detail) {
            throw GitHistoryError.notARepository(path: path, detail: detail)
        }
        guard facts.count == 2 else {
            throw GitHistoryError.unexpectedOutput(command: "git rev-parse", detail: facts.joined(separator: " "))
        }
        // A bare repository (or a path inside a .git directory) has no work tree: its git directory is the root.
        let topLevel = facts[0] == "true" ? nil : (try? lines(git, in: start, ["rev-parse", "--show-toplevel"]))?.first
        let root = topLevel.flatMap { $0.isEmpty ? nil : $0 } ?? facts[1]
        let origin = (try? lines(git, in: root, ["config", "--get", "remote.origin.url"]))?.first ?? ""
        let name = origin.isEmpty ? root : Self.withoutCredentials(origin)
        return GitRepository(root: root, name: name, git: git)
    }

    /// `https://user:token@host/org/repo.git` -> `https://host/org/repo.git`. A remote URL can carry
    /// a token as its user name or password, and the repository name ends up in reports and the
    /// inventory, so the whole user-info part of a URL with a scheme is dropped. scp-like remotes
    /// (`git@host:org/repo.git`) carry no password and are kept as written.
    public static func withoutCredentials(_ url: String) -> String {
        guard let scheme = url.range(of: "://") else { return url }
        let rest = url[scheme.upperBound...]
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? rest.endIndex
        guard let at = rest[..<authorityEnd].lastIndex(of: "@") else { return url }
        return String(url[..<scheme.upperBound]) + rest[rest.index(after: at)...]
    }

    /// Runs a short git command to completion and returns its output lines.
    static func lines(_ git: GitExecutable, in directory: String, _ arguments: [String]) throws -> [String] {
        let process = try GitProcess.start(git, in: directory, arguments)
        var reader = process.outputReader()
        var lines: [String] = []
        do {
            while let line = try reader.record(until: UInt8(ascii: "\n"), limit: 1 << 16) {
                lines.append(String(decoding: line, as: UTF8.self))
            }
        } catch {
            process.stop()
            _ = process.finish()
            throw GitHistoryError.unexpectedOutput(command: process.command, detail: "\(error)")
        }
        try process.finishSuccessfully()
        return lines
    }
}
