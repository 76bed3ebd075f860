import YardCore

/// An element of an S3 XML response. S3 answers with small, regular documents (no mixed content, no
/// DTDs), so a small reader is enough: elements, attributes skipped, text with the five named entities and
/// numeric character references decoded, the declaration, comments and CDATA handled.
struct XMLElement: Sendable, Equatable {
    var name: String
    var text: String = ""
    var children: [XMLElement] = []

    /// The first direct child with this local name (namespace prefixes ignored).
    func child(_ name: String) -> XMLElement? { children.first { $0.name == name } }
    func children(_ name: String) -> [XMLElement] { children.filter { $0.name == name } }
    /// The text of the first direct child with this name.
    func value(_ name: String) -> String? { child(name)?.text }

    static func parse(_ bytes: [UInt8]) throws(YardError) -> XMLElement {
        var reader = XMLReader(bytes: bytes)
        return try reader.document()
    }
}

private struct XMLReader {
    let bytes: [UInt8]
    var index = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    mutating func document() throws(YardError) -> XMLElement {
        while true {
            skipWhitespace()
            if starts(with: "<?") { try skip(past: "?>") }
            else if starts(with: "<!--") { try skip(past: "-->") }
            else if starts(with: "<!") { try skip(past: ">") }
            else { break }
        }
        guard index < bytes.count, bytes[index] == UInt8(ascii: "<") else { throw malformed("no root element") }
        return try element()
    }

    /// Reads `<name ...>content</name>` or `<name/>` starting at `<`.
    mutating func element() throws(YardError) -> XMLElement {
        index += 1
        let qualified = readName()
        if qualified.isEmpty { throw malformed("an element without a name") }
        var node = XMLElement(name: localName(qualified))
        // Attributes carry nothing S3 callers read (only xmlns); skip to the end of the tag, honouring quotes.
        var quote: UInt8?
        while index < bytes.count {
            let byte = bytes[index]
            if let open = quote {
                if byte == open { quote = nil }
            } else if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
                quote = byte
            } else if byte == UInt8(ascii: "/") && index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: ">") {
                index += 2
                return node
            } else if byte == UInt8(ascii: ">") {
                break
            }
            index += 1
        }
        guard index < bytes.count else { throw malformed("an unterminated <\(qualified)> tag") }
        index += 1
        var text: [UInt8] = []
        while index < bytes.count {
            if starts(with: "</") {
                index += 2
                let closing = readName()
                skipWhitespace()
                guard closing == qualified, index < bytes.count, bytes[index] == UInt8(ascii: ">") else {
                    throw malformed("</\(closing)> closes <\(qualified)>")
                }
                index += 1
                node.text = try decodeEntities(text)
                return node
            } else if starts(with: "<!--") {
                try skip(past: "-->")
            } else if starts(with: "<![CDATA[") {
                index += 9
                let start = index
                try skip(past: "]]>")
                text.append(contentsOf: bytes[start..<(index - 3)])
            } else if bytes[index] == UInt8(ascii: "<") {
                node.children.append(try element())
            } else {
                text.append(bytes[index])
                index += 1
            }
        }
        throw malformed("<\(qualified)> is never closed")
    }

    mutating func readName() -> String {
        let start = index
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: ">") || byte == UInt8(ascii: "/") || byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t")
                || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") { break }
            index += 1
        }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    func localName(_ qualified: String) -> String {
        qualified.split(separator: ":").last.map(String.init) ?? qualified
    }

    func starts(with marker: String) -> Bool {
        let utf8 = Array(marker.utf8)
        guard index + utf8.count <= bytes.count else { return false }
        return bytes[index..<(index + utf8.count)].elementsEqual(utf8)
    }

    mutating func skip(past marker: String) throws(YardError) {
        while index < bytes.count {
            if starts(with: marker) {
                index += marker.utf8.count
                return
            }
            index += 1
        }
        throw malformed("an unterminated '\(marker)' section")
    }

    mutating func skipWhitespace() {
        while index < bytes.count, [UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t")].contains(bytes[index]) {
            index += 1
        }
    }

    func decodeEntities(_ raw: [UInt8]) throws(YardError) -> String {
        guard raw.contains(UInt8(ascii: "&")) else { return String(decoding: raw, as: UTF8.self) }
        var out: [UInt8] = []
        out.reserveCapacity(raw.count)
        var position = 0
        while position < raw.count {
            guard raw[position] == UInt8(ascii: "&") else {
                out.append(raw[position])
                position += 1
                continue
            }
            guard let end = raw[position...].firstIndex(of: UInt8(ascii: ";")), end - position <= 12 else {
                throw malformed("an unterminated entity")
            }
            let entity = String(decoding: raw[(position + 1)..<end], as: UTF8.self)
            switch entity {
            case "amp": out.append(UInt8(ascii: "&"))
            case "lt": out.append(UInt8(ascii: "<"))
            case "gt": out.append(UInt8(ascii: ">"))
            case "quot": out.append(UInt8(ascii: "\""))
            case "apos": out.append(UInt8(ascii: "'"))
            default:
                let value: UInt32?
                if entity.hasPrefix("#x") || entity.hasPrefix("#X") { value = UInt32(entity.dropFirst(2), radix: 16) }
                else if entity.hasPrefix("#") { value = UInt32(entity.dropFirst(1)) }
                else { value = nil }
                guard let value, let scalar = Unicode.Scalar(value) else { throw malformed("an unknown entity '&\(entity);'") }
                out.append(contentsOf: Array(String(Character(scalar)).utf8))
            }
            position = end + 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    func malformed(_ what: String) -> YardError {
        YardError(.internalError, "The S3 endpoint answered with malformed XML (\(what) at byte \(index)).")
    }
}
