import Foundation

/// The `git` program and the settings every invocation runs with.
///
/// History scanning reads a repository someone else may control, so git runs with the options that
/// keep it a pure reader: no fsmonitor hook or signature verification configured by the repository,
/// no prompts, no lazy fetches in partial clones, no optional locks, and replacement refs ignored so
/// the objects scanned are the ones stored. Variables such as `GIT_DIR` are dropped from the
/// environment: the directory being scanned, not the caller's shell, chooses the repository.
struct GitExecutable: Sendable, Hashable {
    let path: String

    init(path: String) { self.path = path }

    /// The first executable `git` on `PATH`.
    static func locate(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> GitExecutable {
        let searchPath = environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in searchPath.split(separator: ":") where !directory.isEmpty {
            let candidate = directory.hasSuffix("/") ? "\(directory)git" : "\(directory)/git"
            var status = stat()
            if stat(candidate, &status) == 0, status.st_mode & S_IFMT == S_IFREG, access(candidate, X_OK) == 0 {
                return GitExecutable(path: candidate)
            }
        }
        throw GitHistoryError.gitNotFound
    }

    /// Global options placed before every subcommand.
    static let globalOptions: [String] = [
        "--no-replace-objects", "--no-pager",
        "-c", "core.fsmonitor=false",
        "-c", "core.quotePath=false",
        "-c", "log.showSignature=false",
        "-c", "color.ui=false",
        "-c", "diff.renames=false",
    ]

    /// Repository-selecting variables that would override `-C DIR`.
    private static let droppedVariables: Set<String> = [
        "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_ALTERNATE_OBJECT_DIRECTORIES",
        "GIT_NAMESPACE", "GIT_COMMON_DIR", "GIT_CEILING_DIRECTORIES", "GIT_DISCOVERY_ACROSS_FILESYSTEM",
        "GIT_ASKPASS", "SSH_ASKPASS", "GIT_EXTERNAL_DIFF", "GIT_PAGER",
    ]

    /// The caller's environment, minus repository overrides, plus the read-only settings.
    static func environment(from base: [String: String] = ProcessInfo.processInfo.environment) -> [String: String] {
        var environment = base.filter { !droppedVariables.contains($0.key) }
        environment["GIT_TERMINAL_PROMPT"] = "0"
        environment["GIT_NO_LAZY_FETCH"] = "1"
        environment["GIT_OPTIONAL_LOCKS"] = "0"
        environment["LC_ALL"] = "C"
        return environment
    }
}
