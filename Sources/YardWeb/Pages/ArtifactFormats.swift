import Foundation
import YardJSON

/// Readers for the artifact previews: JSON pretty-printed in its own key order, CSV/TSV split into
/// records, and the summary of an MLflow `MLmodel` file. Plain parsing only; nothing here touches markup.
enum ArtifactFormats {
    // MARK: JSON

    /// `value` indented by two spaces per level, keys in the file's order.
    static func prettyJSON(_ value: JSONValue) -> String {
        var output: [UInt8] = []
        writePretty(value, indent: 0, into: &output)
        return String(decoding: output, as: UTF8.self)
    }

    private static func writePretty(_ value: JSONValue, indent: Int, into output: inout [UInt8]) {
        func newline(_ level: Int) {
            output.append(UInt8(ascii: "\n"))
            output.append(contentsOf: repeatElement(UInt8(ascii: " "), count: level * 2))
        }
        switch value {
        case .array(let elements) where !elements.isEmpty:
            output.append(UInt8(ascii: "["))
            for (position, element) in elements.enumerated() {
                if position > 0 { output.append(UInt8(ascii: ",")) }
                newline(indent + 1)
                writePretty(element, indent: indent + 1, into: &output)
            }
            newline(indent)
            output.append(UInt8(ascii: "]"))
        case .object(let members) where !members.isEmpty:
            output.append(UInt8(ascii: "{"))
            for (position, member) in members.enumerated() {
                if position > 0 { output.append(UInt8(ascii: ",")) }
                newline(indent + 1)
                JSONWriter.writeString(member.0, into: &output)
                output.append(contentsOf: ": ".utf8)
                writePretty(member.1, indent: indent + 1, into: &output)
            }
            newline(indent)
            output.append(UInt8(ascii: "}"))
        default:
            JSONWriter.write(value, into: &output)
        }
    }

    // MARK: CSV

    /// The first `maxRecords` records of delimiter-separated text (RFC 4180 quoting: `"a ""b"""`, line
    /// breaks inside quotes). A record cut off by the end of `text` is dropped when `complete` is false.
    static func records(_ text: String, separator: Unicode.Scalar, maxRecords: Int, complete: Bool) -> [[String]] {
        var records: [[String]] = []
        var record: [String] = []
        var field = String.UnicodeScalarView()
        var quoted = false
        var afterQuote = false
        var iterator = text.unicodeScalars.makeIterator()
        func endField() {
            record.append(String(field))
            field = String.UnicodeScalarView()
            afterQuote = false
        }
        while records.count < maxRecords, let scalar = iterator.next() {
            if quoted {
                if scalar == "\"" {
                    quoted = false
                    afterQuote = true
                } else {
                    field.append(scalar)
                }
                continue
            }
            switch scalar {
            case "\"" where afterQuote || field.isEmpty:
                // The opening quote of a field, or the second of a doubled quote inside one.
                if afterQuote { field.append("\"") }
                quoted = true
                afterQuote = false
            case separator:
                endField()
            case "\r":
                continue
            case "\n":
                endField()
                records.append(record)
                record = []
            default:
                field.append(scalar)
                afterQuote = false
            }
        }
        if complete, records.count < maxRecords, !field.isEmpty || !record.isEmpty {
            endField()
            records.append(record)
        }
        return records
    }

    // MARK: MLmodel

    /// What an `MLmodel` file says about the model: its flavors (with their versions and loader), the
    /// input and output signature, and the top-level facts (run, creation time, MLflow version).
    struct ModelSummary: Equatable {
        struct Flavor: Equatable {
            var name: String
            var details: [(String, String)]
            static func == (a: Flavor, b: Flavor) -> Bool {
                a.name == b.name && a.details.elementsEqual(b.details, by: { $0 == $1 })
            }
        }

        struct Column: Equatable {
            var role: String
            var name: String
            var type: String
        }

        var facts: [(String, String)] = []
        var flavors: [Flavor] = []
        var signature: [Column] = []
        /// Why the signature could not be read, when it could not.
        var signatureProblem: String?

        static func == (a: ModelSummary, b: ModelSummary) -> Bool {
            a.facts.elementsEqual(b.facts, by: { $0 == $1 }) && a.flavors == b.flavors && a.signature == b.signature
                && a.signatureProblem == b.signatureProblem
        }
    }

    /// Reads the YAML that MLflow writes for `MLmodel` (block mappings indented by two spaces, signature
    /// specs as single-quoted JSON strings, possibly folded over several lines). Not a general YAML parser:
    /// anything it does not recognise is left to the text view below the summary.
    static func modelSummary(_ text: String) -> ModelSummary {
        var summary = ModelSummary()
        let lines = logicalLines(text)
        var block = ""
        var flavor: Int?
        var signatureSpecs: [(String, String)] = []
        for (indent, key, value) in lines {
            switch indent {
            case 0:
                block = key
                flavor = nil
                if !value.isEmpty, ["run_id", "model_uuid", "utc_time_created", "mlflow_version", "artifact_path", "model_size_bytes",
                                    "model_id", "databricks_runtime", "saved_input_example_info"].contains(key) {
                    summary.facts.append((key, unquoted(value)))
                }
            case 2 where block == "flavors":
                summary.flavors.append(ModelSummary.Flavor(name: key, details: []))
                flavor = summary.flavors.count - 1
            case 2 where block == "signature":
                if key == "inputs" || key == "outputs" || key == "params" { signatureSpecs.append((key, unquoted(value))) }
            case 4 where block == "flavors":
                if let flavor, !value.isEmpty, key.hasSuffix("_version") || ["loader_module", "pickled_model", "serialization_format",
                                                                            "model_path", "code", "data", "env"].contains(key) {
                    summary.flavors[flavor].details.append((key, unquoted(value)))
                }
            default:
                continue
            }
        }
        for (role, spec) in signatureSpecs where !spec.isEmpty && spec != "null" {
            do {
                let value = try JSONParser.parse(Array(spec.utf8))
                guard case .array(let columns) = value else { continue }
                for column in columns {
                    let name = column["name"].flatMap(stringValue) ?? "(unnamed)"
                    var type = column["type"].flatMap(stringValue) ?? "?"
                    if type == "tensor", let spec = column["tensor-spec"], let dtype = spec["dtype"].flatMap(stringValue) {
                        type = "tensor " + dtype + (spec["shape"].map { " " + String(decoding: JSONWriter.bytes($0), as: UTF8.self) } ?? "")
                    }
                    summary.signature.append(ModelSummary.Column(role: role.hasSuffix("s") ? String(role.dropLast()) : role, name: name, type: type))
                }
            } catch {
                summary.signatureProblem = "The \(role) signature is not valid JSON (\(error))."
            }
        }
        return summary
    }

    private static func stringValue(_ value: JSONValue) -> String? {
        switch value {
        case .string(let text): text
        case .number(let text): text
        default: nil
        }
    }

    /// `(indent, key, value)` for each `key: value` line, with folded continuation lines of a quoted
    /// value joined to it (YAML folds a line break inside a quoted scalar into a space).
    static func logicalLines(_ text: String) -> [(Int, String, String)] {
        var result: [(Int, String, String)] = []
        var pending: (Int, String, String)?
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine
            if var open = pending {
                open.2 += " " + line.trimmingCharacters(in: .whitespaces)
                if closesQuote(open.2) {
                    result.append(open)
                    pending = nil
                } else {
                    pending = open
                }
                continue
            }
            let indent = line.prefix(while: { $0 == " " }).count
            let content = line.dropFirst(indent)
            guard !content.isEmpty, !content.hasPrefix("#"), !content.hasPrefix("- "),
                  let colon = content.firstIndex(of: ":") else { continue }
            let key = String(content[..<colon])
            let value = content[content.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            let entry = (indent, key, value)
            if (value.hasPrefix("'") || value.hasPrefix("\"")) && !closesQuote(value) {
                pending = entry
            } else {
                result.append(entry)
            }
        }
        if let pending { result.append(pending) }
        return result
    }

    /// True when a value that opens with a quote also ends with its (unescaped) closing quote.
    private static func closesQuote(_ value: String) -> Bool {
        guard let quote = value.first, quote == "'" || quote == "\"", value.count >= 2, value.last == quote else { return false }
        if quote == "'" {
            // `''` is an escaped quote: the closing one is the last of an odd run of quotes.
            let run = value.reversed().prefix(while: { $0 == "'" }).count
            return run % 2 == 1 || run == value.count
        }
        return !value.dropLast().hasSuffix("\\")
    }

    /// A YAML scalar without its quotes (`'a''b'` → `a'b`).
    static func unquoted(_ value: String) -> String {
        if value.count >= 2, value.hasPrefix("'"), value.hasSuffix("'") {
            return String(value.dropFirst().dropLast()).replacingOccurrences(of: "''", with: "'")
        }
        if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") {
            return String(value.dropFirst().dropLast()).replacingOccurrences(of: "\\\"", with: "\"")
        }
        return value
    }
}
