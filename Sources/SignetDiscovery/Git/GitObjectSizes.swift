/// Object sizes from `git cat-file --batch-check`, read before any content.
///
/// Knowing every size first lets the scan skip blobs over the size limit without reading them and
/// gives the progress bar its total. One process answers all the requests; a thread of its own
/// writes them, so neither side ever waits on a full pipe.
enum GitObjectSizes {
    /// The size of each blob, in the order asked; nil for an id git reports missing (a shallow or
    /// partial clone) or that is not a blob. Blocking.
    static func read(_ oids: [String], in repository: GitRepository) throws -> [Int?] {
        guard !oids.isEmpty else { return [] }
        let process = try GitProcess.start(repository.git, in: repository.root, ["cat-file", "--batch-check"], withInput: true)
        process.sendRequests(oids)
        var reader = process.outputReader()
        var sizes: [Int?] = []
        sizes.reserveCapacity(oids.count)
        do {
            for oid in oids {
                guard let line = try reader.record(until: UInt8(ascii: "\n"), limit: 4096) else {
                    throw GitHistoryError.unexpectedOutput(command: process.command, detail: "the output ended early")
                }
                sizes.append(try size(in: line, for: oid, command: process.command))
            }
        } catch {
            process.stop()
            let (status, message) = process.finish()
            if status != 0 { throw GitHistoryError.commandFailed(command: process.command, status: status, detail: message) }
            throw error
        }
        try process.finishSuccessfully()
        return sizes
    }

    /// `<oid> blob <size>`; `<oid> missing` (or `ambiguous`) and other object types give nil.
    static func size(in line: [UInt8], for oid: String, command: String) throws -> Int? {
        let fields = line.split(separator: UInt8(ascii: " "))
        guard let name = fields.first, name.elementsEqual(oid.utf8) else {
            throw GitHistoryError.unexpectedOutput(
                command: command, detail: "expected an answer for \(oid), got \"\(String(decoding: line.prefix(100), as: UTF8.self))\"")
        }
        guard fields.count == 3, fields[1].elementsEqual("blob".utf8) else { return nil }
        guard let size = Int(String(decoding: fields[2], as: UTF8.self)), size >= 0 else {
            throw GitHistoryError.unexpectedOutput(command: command, detail: "a malformed size for \(oid)")
        }
        return size
    }
}

extension GitProcess {
    /// Writes one object id per line to standard input on a thread of its own, then closes it.
    /// Stops quietly if git goes away (its exit status and message say why).
    func sendRequests(_ oids: [String]) {
        guard let input else { return }
        BlockingThread.detach("git-requests") {
            var chunk: [UInt8] = []
            chunk.reserveCapacity(1 << 16)
            var open = true
            for oid in oids where open {
                chunk += oid.utf8
                chunk.append(UInt8(ascii: "\n"))
                if chunk.count >= (1 << 16) - 128 {
                    open = writeAll(chunk, to: input.fileDescriptor)
                    chunk.removeAll(keepingCapacity: true)
                }
            }
            if open, !chunk.isEmpty { _ = writeAll(chunk, to: input.fileDescriptor) }
            try? input.close()
        }
    }
}
