#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// What a scan of files will read, counted before it starts so a progress bar can show a
/// percentage and an ETA.
///
/// Metadata only: the same walk as the scan (same order, same pruning) with one `lstat` per file
/// and no read, which also warms the directory cache the scan then walks. Files over the size limit
/// are left out, since the scan skips them without reading.
enum ScanSizeEstimate {
    static func bytes(under roots: [String], options: PathScanOptions) -> Int {
        var total = 0
        for path in FileWalker(roots: roots, excluded: options.excludedDirectoryNames) {
            var status = stat()
            guard lstat(path, &status) == 0 else { continue }
            let size = Int(status.st_size)
            if size >= 0, size <= options.maximumFileSize { total += size }
        }
        return total
    }
}
