/// What `scan path --git` read: which repository, and how much of its history.
public struct GitHistoryFacts: Sendable, Codable, Hashable {
    /// The repository as locations name it: `origin` URL without credentials, else `root`.
    public var repository: String
    /// Absolute path of the work tree (or of the git directory of a bare repository).
    public var root: String
    /// Commits reachable from any ref (branches, tags, stash, notes, HEAD).
    public var commits: Int
    /// Distinct file contents (blobs) in those commits: each is read at most once.
    public var blobs: Int
    /// Blobs actually scanned (not skipped as binary or too large, not missing).
    public var blobsScanned: Int

    public init(repository: String, root: String, commits: Int, blobs: Int, blobsScanned: Int) {
        self.repository = repository
        self.root = root
        self.commits = commits
        self.blobs = blobs
        self.blobsScanned = blobsScanned
    }
}
