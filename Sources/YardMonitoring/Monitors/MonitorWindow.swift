import YardJSON
import YardStore

/// The records one evaluation reads: the newest N, or those of the last N seconds, of the source's
/// prediction log (primary and canary answers; a shadow's answers were never returned to anyone).
struct MonitorWindow: Sendable {
    /// Oldest first.
    var records: [PredictionRecord]
    /// Milliseconds: the window read [start, end).
    var start: Int64
    var end: Int64

    static func read(source: MonitorSpec.Source, window: MonitorSpec.Window, serving: any ServingStore, now: Int64) async throws -> MonitorWindow {
        var query = PredictionQuery(deployment: source.logName, limit: PredictionQuery.maxLimit)
        let wanted: Int
        switch window {
        case .lastRecords(let count):
            wanted = count
        case .lastSeconds(let seconds):
            wanted = MonitorSpec.maxWindowRecords
            query.since = now - Int64(seconds) * 1_000
            query.until = now + 1
        }
        var newestFirst: [PredictionRecord] = []
        while newestFirst.count < wanted {
            let page = try await serving.predictions(query)
            for record in page.items where record.role != PredictionRole.shadow {
                newestFirst.append(record)
                if newestFirst.count == wanted { break }
            }
            guard let token = page.nextPageToken else { break }
            query.pageToken = token
        }
        let records = Array(newestFirst.reversed())
        switch window {
        case .lastSeconds(let seconds):
            // A window cut at the record cap starts at its oldest record, not at now - seconds.
            let start = newestFirst.count == wanted ? (records.first?.timestamp ?? now) : now - Int64(seconds) * 1_000
            return MonitorWindow(records: records, start: start, end: now + 1)
        case .lastRecords:
            guard let oldest = records.first, let newest = records.last else { return MonitorWindow(records: [], start: now, end: now) }
            return MonitorWindow(records: records, start: oldest.timestamp, end: newest.timestamp + 1)
        }
    }
}

/// A window turned into the current table for drift, and row-aligned cells for quality.
struct WindowTable {
    static let scoresColumn = "\u{1}scores"

    var builder = RowTableBuilder()
    var rows = 0
    var labeledRows = 0
    var modelName = ""
    var modelVersion = ""
    /// Row-aligned cells of every column, for `QualityEvaluation` (which pairs a row's target with its prediction).
    var cells: [String: [TableCell]] = [:]
    var columnOrder: [String] = []
    var hasScores = false

    let predictionColumn: String
    let targetColumn: String?

    init(records: [PredictionRecord], mapping: ColumnMapping) {
        predictionColumn = mapping.prediction.first ?? "prediction"
        targetColumn = mapping.target
        var rowsByModel: [String: (name: String, version: String, rows: Int, order: Int)] = [:]
        for record in records {
            let rowsAdded = append(record)
            let key = record.modelName + "\u{0}" + record.modelVersion
            let entry = rowsByModel[key] ?? (record.modelName, record.modelVersion, 0, rowsByModel.count)
            rowsByModel[key] = (entry.name, entry.version, entry.rows + rowsAdded, entry.order)
        }
        // The version that answered most rows; on a tie, the one seen first.
        if let top = rowsByModel.values.max(by: { $0.rows != $1.rows ? $0.rows < $1.rows : $0.order > $1.order }) {
            modelName = top.name
            modelVersion = top.version
        }
    }

    /// Appends one record's rows and returns how many.
    private mutating func append(_ record: PredictionRecord) -> Int {
        let inputs = Self.parse(record.inputs)
        let inputRows: [JSONValue]
        switch inputs {
        case .array(let items): inputRows = items
        case .object: inputRows = [inputs]
        default: inputRows = []
        }
        let outputs = Self.parse(record.outputs)
        let outputRows: [JSONValue]
        if case .array(let items) = outputs { outputRows = items } else { outputRows = [outputs] }
        let labels = Self.labels(record.label, rows: inputRows.count)

        for (index, input) in inputRows.enumerated() {
            var row: [(String, JSONValue)] = []
            if case .object(let members) = input {
                // Posted features are untrusted: a repeated key or one spelled like an internal column
                // would give that column two cells in one row and misalign every column after it.
                var seen = Set<String>()
                row = members.filter { name, _ in
                    name != predictionColumn && name != targetColumn && !name.hasPrefix("\u{1}") && seen.insert(name).inserted
                }
            }
            let answer = index < outputRows.count ? Self.prediction(in: outputRows[index]) : (value: nil, probabilities: nil)
            row.append((predictionColumn, answer.value ?? .null))
            let label = labels[index]
            if let targetColumn { row.append((targetColumn, label ?? .null)) }
            if label != nil { labeledRows += 1 }
            builder.append(row: row)

            var qualityRow = row.map { ($0.0, Self.cell($0.1)) }
            qualityRow.append((Self.qualityTarget, label.map(Self.cell) ?? .missing))
            if let probabilities = answer.probabilities {
                hasScores = true
                qualityRow.append((Self.scoresColumn, .probabilities(probabilities)))
            }
            addQualityRow(qualityRow)
        }
        return inputRows.count
    }

    /// The target under its own name for quality, so a mapping without `target` still gets metrics.
    static let qualityTarget = "\u{1}target"

    private mutating func addQualityRow(_ row: [(String, TableCell)]) {
        var seen = Set<String>()
        for (name, cell) in row where seen.insert(name).inserted {
            if cells[name] == nil {
                cells[name] = Array(repeating: .missing, count: rows)
                columnOrder.append(name)
            }
            cells[name]!.append(cell)
        }
        rows += 1
        for name in columnOrder where cells[name]!.count < rows { cells[name]!.append(.missing) }
    }

    /// The quality table, with every column the options name present (missing cells where the window had none).
    func labeledTable(label: String, also wanted: [String]) -> LabeledTable {
        var columns = cells
        for name in wanted + [Self.qualityTarget, predictionColumn, Self.scoresColumn] where columns[name] == nil {
            columns[name] = Array(repeating: .missing, count: rows)
        }
        return LabeledTable(path: label, columnNames: columnOrder, rowCount: rows, columns: columns)
    }

    static func parse(_ text: String?) -> JSONValue {
        guard let text, let value = try? JSONParser.parse(Array(text.utf8)) else { return .null }
        return value
    }

    /// One label per row: a list label with one entry per row of a multi-row request, or a single value
    /// for a one-row request. Anything else leaves the rows unlabelled.
    static func labels(_ text: String?, rows: Int) -> [JSONValue?] {
        var labels = [JSONValue?](repeating: nil, count: rows)
        guard let text, rows > 0 else { return labels }
        let value = parse(text)
        switch value {
        case .null, .object:
            break
        case .array(let items):
            if items.count == rows {
                for (index, item) in items.enumerated() where Self.isScalar(item) { labels[index] = item }
            }
        default:
            if rows == 1 { labels[0] = value }
        }
        return labels
    }

    /// The model's answer in one row of outputs: the label output (an integer, string or boolean) of a
    /// classifier, else the number of a regressor; and a classifier's class probabilities when it gave a map.
    static func prediction(in output: JSONValue) -> (value: JSONValue?, probabilities: [String: Double]?) {
        switch output {
        case .object(let members):
            if let explicit = output["prediction"], isScalar(explicit) { return (explicit, nil) }
            var label: JSONValue?, number: JSONValue?, probabilities: [String: Double]?
            for (_, value) in members {
                switch value {
                case .string, .bool:
                    if label == nil { label = value }
                case .number(let text):
                    if isInteger(text) {
                        if label == nil { label = value }
                    } else if number == nil {
                        number = value
                    }
                case .object(let entries):
                    if probabilities == nil { probabilities = classProbabilities(entries) }
                case .array(let items) where items.count == 1 && isScalar(items[0]):
                    if case .number(let text) = items[0], !isInteger(text) {
                        if number == nil { number = items[0] }
                    } else if label == nil {
                        label = items[0]
                    }
                default:
                    continue
                }
            }
            return (label ?? number, label != nil ? probabilities : nil)
        case .array(let items) where items.count == 1 && isScalar(items[0]):
            return (items[0], nil)
        case .string, .bool, .number:
            return (output, nil)
        default:
            return (nil, nil)
        }
    }

    private static func classProbabilities(_ entries: [(String, JSONValue)]) -> [String: Double]? {
        var map: [String: Double] = [:]
        for (key, value) in entries {
            guard case .number(let text) = value, let number = Double(text) else { return nil }
            map[LabelText.canonical(key)] = number
        }
        return map.isEmpty ? nil : map
    }

    static func isInteger(_ text: String) -> Bool {
        !text.contains(where: { $0 == "." || $0 == "e" || $0 == "E" })
    }

    static func isScalar(_ value: JSONValue) -> Bool {
        switch value {
        case .string, .bool, .number: return true
        default: return false
        }
    }

    static func cell(_ value: JSONValue) -> TableCell {
        switch value {
        case .number(let text): return Double(text).map(TableCell.number) ?? .missing
        case .string(let text): return .text(text)
        case .bool(let flag): return .bool(flag)
        case .object(let entries): return classProbabilities(entries).map(TableCell.probabilities) ?? .missing
        default: return .missing
        }
    }
}
