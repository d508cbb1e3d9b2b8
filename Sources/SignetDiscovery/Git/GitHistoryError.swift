/// Why `scan path --git` could not read a repository's history. Every case names the directory or
/// the git command and carries git's own message, so the user knows what to fix.
public enum GitHistoryError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No `git` executable on `PATH`.
    case gitNotFound
    /// The directory is not inside a git repository, or git refused to open it (for example a
    /// repository owned by another user, which git calls "dubious ownership").
    case notARepository(path: String, detail: String)
    /// A git command could not be started or exited unsuccessfully.
    case commandFailed(command: String, status: Int32, detail: String)
    /// git printed something this scanner does not understand; scanning stops rather than guess.
    case unexpectedOutput(command: String, detail: String)

    public var description: String {
        switch self {
        case .gitNotFound:
            "--git needs the git executable, and none was found on PATH; install git or add it to PATH"
        case .notARepository(let path, let detail):
            "\(path) is not in a git repository that can be read" + (detail.isEmpty ? "" : " (git: \(detail))")
                + "; give a directory inside a repository, or scan its files without --git"
        case .commandFailed(let command, let status, let detail):
            "`\(command)` failed (exit status \(status))" + (detail.isEmpty ? "" : ": \(detail)")
        case .unexpectedOutput(let command, let detail):
            "`\(command)` printed output this scanner does not understand: \(detail)"
        }
    }
}
