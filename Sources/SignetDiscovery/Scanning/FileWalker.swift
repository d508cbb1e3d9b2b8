#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Depth-first enumeration of regular files under the roots, in a stable (sorted) order.
///
/// Uses `opendir`/`readdir` with `lstat` rather than `FileManager`, which costs several system
/// calls and bridged objects per entry. Symbolic links are never followed (they can loop, and
/// their targets are scanned where they live); excluded directory names are pruned.
struct FileWalker: Sequence, IteratorProtocol {
    private var pendingDirectories: [String] = []
    private var files: [String] = []
    private let excluded: Set<String>

    init(roots: [String], excluded: Set<String>) {
        self.excluded = excluded
        var rootFiles: [String] = []
        var rootDirectories: [String] = []
        for root in roots {
            switch Self.entryType(root) {
            case .directory: rootDirectories.append(root)
            case .file: rootFiles.append(root)
            case .other: break
            }
        }
        files = rootFiles.reversed()
        pendingDirectories = rootDirectories.reversed()
    }

    mutating func next() -> String? {
        while files.isEmpty {
            guard let directory = pendingDirectories.popLast() else { return nil }
            var childFiles: [String] = []
            var childDirectories: [String] = []
            guard let stream = opendir(directory) else { continue }
            while let entry = readdir(stream) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
                }
                if name == "." || name == ".." { continue }
                let path = directory.hasSuffix("/") ? directory + name : directory + "/" + name
                let type: EntryType
                switch Int32(entry.pointee.d_type) {
                case Int32(DT_REG): type = .file
                case Int32(DT_DIR): type = .directory
                case Int32(DT_UNKNOWN): type = Self.entryType(path)
                default: type = .other
                }
                switch type {
                case .file: childFiles.append(path)
                case .directory where !excluded.contains(name): childDirectories.append(path)
                default: break
                }
            }
            closedir(stream)
            files = childFiles.sorted(by: >)  // popLast yields ascending order
            pendingDirectories += childDirectories.sorted(by: >)
        }
        return files.popLast()
    }

    private enum EntryType { case file, directory, other }

    private static func entryType(_ path: String) -> EntryType {
        var status = stat()
        guard lstat(path, &status) == 0 else { return .other }
        switch status.st_mode & S_IFMT {
        case S_IFREG: return .file
        case S_IFDIR: return .directory
        default: return .other
        }
    }
}
