/// One CSV record: its fields and the physical line it starts on (for error messages).
struct CSVRecord {
    var line: Int
    var fields: [String]
}

/// An RFC 4180 reader over bytes: comma-separated fields, records ended by CRLF or LF, fields
/// optionally enclosed in double quotes, a quote inside a quoted field written twice, line breaks
/// and commas allowed inside quotes.
///
/// It is strict where lenient readers guess: a quote in the middle of an unquoted field, text
/// after a closing quote and an unterminated quote are errors naming the line, because a guessed
/// split shifts every later column of the row into the wrong field. Blank lines are skipped (a
/// trailing newline, a spreadsheet's empty last row). Fields must be UTF-8. Records are scanned
/// over the raw buffer, so a 100 000-row report costs one string per field and nothing more.
struct CSVReader {
    private let bytes: [UInt8]
    private var index: Int
    /// The physical line of `bytes[index]`.
    private var line = 1

    init(bytes: [UInt8], start: Int = 0) {
        self.bytes = bytes
        self.index = start
    }

    private static let quote = UInt8(ascii: "\""), comma = UInt8(ascii: ","), cr = UInt8(ascii: "\r"),
        lf = UInt8(ascii: "\n")

    /// The next non-blank record, or nil at the end of the input.
    mutating func next() throws(ImportError) -> CSVRecord? {
        var cursor = Cursor(index: index, line: line)
        let record = try bytes.withUnsafeBufferPointer { (buffer) throws(ImportError) -> CSVRecord? in
            try cursor.record(buffer)
        }
        index = cursor.index
        line = cursor.line
        return record
    }

    /// Whether the byte after `index` is a line feed (a CR before it is half of one CRLF break).
    private static func lfFollows(_ bytes: UnsafeBufferPointer<UInt8>, _ index: Int) -> Bool {
        index + 1 < bytes.count && bytes[index + 1] == lf
    }

    /// The scanning state, advanced over an unsafe view of the bytes.
    private struct Cursor {
        var index: Int
        var line: Int

        mutating func record(_ bytes: UnsafeBufferPointer<UInt8>) throws(ImportError) -> CSVRecord? {
            // Skip blank lines; a CR counts as a line break unless an LF follows it.
            while index < bytes.count, bytes[index] == CSVReader.cr || bytes[index] == CSVReader.lf {
                if bytes[index] == CSVReader.lf || !CSVReader.lfFollows(bytes, index) { line += 1 }
                index += 1
            }
            guard index < bytes.count else { return nil }
            let recordLine = line
            var fields: [String] = []
            while true {
                fields.append(try field(bytes, number: fields.count + 1))
                guard index < bytes.count else { return CSVRecord(line: recordLine, fields: fields) }
                switch bytes[index] {
                case CSVReader.comma:
                    index += 1
                    if index == bytes.count {
                        fields.append("")
                        return CSVRecord(line: recordLine, fields: fields)
                    }
                case CSVReader.cr:
                    index += 1
                    if index < bytes.count, bytes[index] == CSVReader.lf { index += 1 }
                    line += 1
                    return CSVRecord(line: recordLine, fields: fields)
                default:  // LF: a field stops only at a comma, CR, LF or the end.
                    index += 1
                    line += 1
                    return CSVRecord(line: recordLine, fields: fields)
                }
            }
        }

        private mutating func field(_ bytes: UnsafeBufferPointer<UInt8>, number: Int) throws(ImportError) -> String {
            if index < bytes.count, bytes[index] == CSVReader.quote { return try quotedField(bytes, number: number) }
            let start = index
            while index < bytes.count {
                let byte = bytes[index]
                if byte == CSVReader.comma || byte == CSVReader.cr || byte == CSVReader.lf { break }
                if byte == CSVReader.quote {
                    throw ImportError(
                        record: "line \(line)", problem: "a double quote inside unquoted field \(number)",
                        expected: "a field with quotes to be enclosed in double quotes, inner quotes doubled (RFC 4180)")
                }
                index += 1
            }
            return try text(UnsafeBufferPointer(rebasing: bytes[start..<index]), number: number)
        }

        private mutating func quotedField(_ bytes: UnsafeBufferPointer<UInt8>, number: Int) throws(ImportError) -> String {
            let openingLine = line
            index += 1
            var content: [UInt8] = []
            while true {
                guard index < bytes.count else {
                    throw ImportError(
                        record: "line \(openingLine)", problem: "field \(number) opens a double quote that is never closed",
                        expected: "a closing double quote before the end of the file")
                }
                let byte = bytes[index]
                if byte == CSVReader.quote {
                    if index + 1 < bytes.count, bytes[index + 1] == CSVReader.quote {
                        content.append(CSVReader.quote)
                        index += 2
                        continue
                    }
                    index += 1
                    break
                }
                if byte == CSVReader.lf || (byte == CSVReader.cr && !CSVReader.lfFollows(bytes, index)) { line += 1 }
                content.append(byte)
                index += 1
            }
            if index < bytes.count, ![CSVReader.comma, CSVReader.cr, CSVReader.lf].contains(bytes[index]) {
                throw ImportError(
                    record: "line \(line)", problem: "text after the closing quote of field \(number)",
                    expected: "a comma or the end of the line after a closing quote (write an inner quote as \"\")")
            }
            return try content.withUnsafeBufferPointer { (buffer) throws(ImportError) -> String in
                try text(buffer, number: number)
            }
        }

        private func text(_ slice: UnsafeBufferPointer<UInt8>, number: Int) throws(ImportError) -> String {
            // ASCII (every IAM report field) needs no validation beyond the check itself.
            if slice.allSatisfy({ $0 < 0x80 }) { return String(decoding: slice, as: UTF8.self) }
            guard let string = String(validating: slice, as: UTF8.self) else {
                throw ImportError(
                    record: "line \(line)", problem: "field \(number) is not valid UTF-8", expected: "UTF-8 text")
            }
            return string
        }
    }
}
