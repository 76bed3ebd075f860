import YardJSON

/// Rendering of predictions for files (`yard predict`): CSV with one column per output value, or JSON
/// lines with one object per row holding every output at full precision.
public enum BatchOutput {
    public enum Format: String, Sendable, CaseIterable {
        case csv, jsonl
    }

    /// CSV column names: an [N] or [N, 1] output is one column named after it; wider outputs are
    /// `<output>_<index>`; a map sequence (ZipMap) is `<output>_<label>`.
    public static func csvHeader(_ outputs: [(name: String, value: Value)]) -> [UInt8] {
        var names: [String] = []
        for output in outputs {
            switch output.value {
            case .tensor(let tensor):
                let width = tensor.shape.dropFirst().reduce(1, *)
                if tensor.rank <= 1 || width == 1 {
                    names.append(output.name)
                } else {
                    names += (0..<width).map { "\(output.name)_\($0)" }
                }
            case .mapSequence(let maps):
                switch maps.keys {
                case .int64(let keys): names += keys.map { "\(output.name)_\($0)" }
                case .string(let keys): names += keys.map { "\(output.name)_\($0)" }
                }
            }
        }
        var bytes: [UInt8] = []
        for (index, name) in names.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            appendCSVField(name, to: &bytes)
        }
        bytes.append(UInt8(ascii: "\n"))
        return bytes
    }

    /// Rows `0..<rows` of the outputs, rendered in `format` (without the CSV header).
    public static func rows(_ outputs: [(name: String, value: Value)], format: Format) -> [UInt8] {
        let rows = outputs.first?.value.rows ?? 0
        var bytes: [UInt8] = []
        bytes.reserveCapacity(rows * 32 * max(outputs.count, 1))
        for row in 0..<rows {
            switch format {
            case .jsonl:
                JSONWriter.write(ResponseValues.outputRow(outputs, row: row), into: &bytes)
            case .csv:
                var first = true
                for output in outputs {
                    for cell in csvCells(output.value, row: row) {
                        if !first { bytes.append(UInt8(ascii: ",")) }
                        first = false
                        appendCSVCell(cell, to: &bytes)
                    }
                }
            }
            bytes.append(UInt8(ascii: "\n"))
        }
        return bytes
    }

    static func csvCells(_ value: Value, row: Int) -> [JSONValue] {
        switch value {
        case .tensor(let tensor):
            if tensor.rank == 0 { return [ResponseValues.element(tensor.elements, at: 0)] }
            let width = tensor.shape.dropFirst().reduce(1, *)
            return (0..<width).map { ResponseValues.element(tensor.elements, at: row * width + $0) }
        case .mapSequence(let maps):
            let base = row * maps.keys.count
            return (0..<maps.keys.count).map { NumberText.json(maps.values[base + $0]) }
        }
    }

    static func appendCSVCell(_ cell: JSONValue, to bytes: inout [UInt8]) {
        switch cell {
        case .null: break
        case .number(let text): bytes.append(contentsOf: text.utf8)
        case .bool(let flag): bytes.append(contentsOf: (flag ? "true" : "false").utf8)
        case .string(let text): appendCSVField(text, to: &bytes)
        case .array, .object: appendCSVField(String(decoding: JSONWriter.bytes(cell), as: UTF8.self), to: &bytes)
        }
    }

    static func appendCSVField(_ text: String, to bytes: inout [UInt8]) {
        let needsQuotes = text.utf8.contains { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r") }
        guard needsQuotes else {
            bytes.append(contentsOf: text.utf8)
            return
        }
        bytes.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            if byte == UInt8(ascii: "\"") { bytes.append(byte) }
            bytes.append(byte)
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
