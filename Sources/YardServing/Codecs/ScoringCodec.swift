import YardJSON

/// The MLflow scoring protocol (`POST /invocations`), HTTP-free: bytes and a content type in, a
/// `ScoringInput` out; model outputs in, response bytes out.
///
/// Requests
/// - `application/json` (optionally `; charset=utf-8`) with exactly one of `dataframe_split`
///   (`{columns, data, index?}`), `dataframe_records` (list of row objects), `instances` (list of rows,
///   or of objects of named inputs) or `inputs` (a list for the single input, or an object of named
///   inputs), plus an optional `params` object.
/// - `text/csv`: a header row, then one row per record; empty and NA-like cells are missing values.
/// - Any other content type or charset is `CodecError.unsupportedMediaType` (415); every other error is
///   `.invalidInput` (400) and names the key, column, row or input at fault.
/// - Mapping to model inputs and type conversion: `ServableModel.feeds(for:)` and `CellConversion`.
///
/// Responses: `{"predictions": …}`.
/// - DataFrame-shaped requests (dataframe_split, dataframe_records, CSV): a list with one object per
///   row, `{output: value}` for every output (see `ResponseValues.outputRow`).
/// - `instances` / `inputs`: the single output's nested list when the model has one output, else an
///   object `{output: nested list}` (map-sequence outputs are a list of per-row objects).
/// - Floats are the shortest text that reads back to the same value; NaN and infinities are `null`.
public enum ScoringCodec {
    public static let acceptedKeys = ["dataframe_split", "dataframe_records", "instances", "inputs"]

    public static func parse(body: [UInt8], contentType: String?) throws(CodecError) -> ScoringInput {
        switch try mediaType(contentType) {
        case .json: return try parseJSON(body)
        case .csv: return try parseCSV(body)
        }
    }

    enum MediaType { case json, csv }

    static func mediaType(_ contentType: String?) throws(CodecError) -> MediaType {
        guard let contentType else {
            throw CodecError(.unsupportedMediaType, "The request has no Content-Type; send application/json or text/csv.")
        }
        let parts = contentType.split(separator: ";").map { String($0).trimmingSpaces.lowercased() }
        let media: MediaType
        switch parts.first ?? "" {
        case "application/json": media = .json
        case "text/csv": media = .csv
        default:
            throw CodecError(.unsupportedMediaType, "Content-Type '\(contentType)' is not supported; send application/json or text/csv.")
        }
        for parameter in parts.dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1).map { String($0).trimmingSpaces }
            if pair.first == "charset", pair.count == 2, !["utf-8", "utf8", "\"utf-8\""].contains(pair[1]) {
                throw CodecError(.unsupportedMediaType, "Charset '\(pair[1])' is not supported; send UTF-8 (charset=utf-8).")
            }
        }
        return media
    }

    static func parseJSON(_ body: [UInt8]) throws(CodecError) -> ScoringInput {
        let document: JSONValue
        do {
            document = try JSONParser.parse(body)
        } catch {
            throw .invalid("The request body is not valid JSON (\(error)).")
        }
        guard case .object(let members) = document else {
            throw .invalid("The request must be a JSON object with exactly one of \(acceptedKeys.joined(separator: ", ")) (and optionally params), e.g. {\"dataframe_split\": {\"columns\": [\"a\", \"b\"], \"data\": [[1, 2]]}}.")
        }
        let present = members.map(\.0).filter { acceptedKeys.contains($0) }
        let unknown = members.map(\.0).filter { !acceptedKeys.contains($0) && $0 != "params" }
        guard present.count == 1, unknown.isEmpty, let key = present.first, let value = document[key] else {
            var detail = present.count > 1 ? "it has \(present.joined(separator: " and "))" : "it has none of them"
            if !unknown.isEmpty { detail += "; \(unknown.map { "'\($0)'" }.joined(separator: ", ")) \(unknown.count == 1 ? "is" : "are") not accepted" }
            throw .invalid("The request must have exactly one of \(acceptedKeys.joined(separator: ", ")) (and optionally params): \(detail).")
        }
        var params: JSONValue?
        if let given = document["params"] {
            guard case .object = given else { throw .invalid("params must be an object of parameter names to values.") }
            params = given
        }
        switch key {
        case "dataframe_split":
            return ScoringInput(format: .dataframeSplit, payload: .table(try dataframeSplit(value)), params: params)
        case "dataframe_records":
            return ScoringInput(format: .dataframeRecords, payload: .table(try dataframeRecords(value)), params: params)
        case "instances":
            guard case .array(let rows) = value else { throw .invalid("instances must be a list of rows.") }
            if rows.contains(where: { if case .object = $0 { return true }; return false }) {
                return ScoringInput(format: .instances, payload: .namedTensors(try namedRows(rows)), params: params)
            }
            return ScoringInput(format: .instances, payload: .tensor(value), params: params)
        default:
            switch value {
            case .object(let named):
                return ScoringInput(format: .inputs, payload: .namedTensors(named.map { (name: $0.0, value: $0.1) }), params: params)
            case .array:
                return ScoringInput(format: .inputs, payload: .tensor(value), params: params)
            default:
                throw .invalid("inputs must be a list (for the model's single input) or an object of named inputs.")
            }
        }
    }

    static func dataframeSplit(_ value: JSONValue) throws(CodecError) -> DataTable {
        guard case .object = value else { throw .invalid("dataframe_split must be an object with columns and data.") }
        guard case .array(let rows)? = value["data"] else {
            throw .invalid("dataframe_split.data must be a list of rows, e.g. {\"columns\": [\"a\", \"b\"], \"data\": [[1, 2]]}.")
        }
        var names: [String]
        if let columns = value["columns"] {
            guard case .array(let entries) = columns else { throw .invalid("dataframe_split.columns must be a list of column names.") }
            names = []
            for (index, entry) in entries.enumerated() {
                switch entry {
                case .string(let name): names.append(name)
                case .number(let text): names.append(text)
                default: throw .invalid("dataframe_split.columns[\(index)] must be a column name (a string).")
                }
            }
        } else {
            // pandas numbers unnamed columns 0, 1, …; a single-input model then takes them in order.
            guard case .array(let first)? = rows.first else { throw .invalid("dataframe_split.data is empty.") }
            names = (0..<first.count).map(String.init)
        }
        var cellRows: [[JSONValue]] = []
        cellRows.reserveCapacity(rows.count)
        for (index, row) in rows.enumerated() {
            guard case .array(let cells) = row else { throw .invalid("dataframe_split.data[\(index)] must be a list of values.") }
            guard cells.count == names.count else {
                throw .invalid("dataframe_split.data[\(index)] has \(cells.count) values, but columns has \(names.count) (\(names.joined(separator: ", "))).")
            }
            for (column, cell) in cells.enumerated() {
                try requireScalar(cell, at: "dataframe_split.data[\(index)][\(column)] (column '\(names[column])')")
            }
            cellRows.append(cells)
        }
        return try DataTable(names: names, rows: cellRows)
    }

    /// A list of row objects as a table (dataframe_records, and JSON lines files one object per line):
    /// columns in first-seen order; a column absent from a row is a missing value there.
    public static func dataframeRecords(_ value: JSONValue) throws(CodecError) -> DataTable {
        guard case .array(let records) = value else { throw .invalid("dataframe_records must be a list of row objects, e.g. [{\"a\": 1, \"b\": 2}].") }
        var names: [String] = []
        var positions: [String: Int] = [:]
        var columns: [[JSONValue]] = []
        for (row, record) in records.enumerated() {
            guard case .object(let members) = record else {
                throw .invalid("dataframe_records[\(row)] must be an object of column names to values.")
            }
            for (name, cell) in members {
                try requireScalar(cell, at: "dataframe_records[\(row)].\(name)")
                if let position = positions[name] {
                    columns[position][row] = cell
                } else {
                    // A column first seen in a later record is missing (null) in the earlier ones, as in pandas.
                    positions[name] = names.count
                    names.append(name)
                    var cells = [JSONValue](repeating: .null, count: records.count)
                    cells[row] = cell
                    columns.append(cells)
                }
            }
        }
        return try DataTable(names: names, columns: columns)
    }

    /// `instances` as a list of objects: dict-of-lists by name, every row naming the same inputs.
    static func namedRows(_ rows: [JSONValue]) throws(CodecError) -> [(name: String, value: JSONValue)] {
        guard case .object(let first)? = rows.first else { throw .invalid("instances[0] must be an object like the other rows.") }
        let names = first.map(\.0)
        var columns = [[JSONValue]](repeating: [], count: names.count)
        for (index, row) in rows.enumerated() {
            guard case .object(let members) = row else { throw .invalid("instances[\(index)] must be an object like instances[0].") }
            for (position, name) in names.enumerated() {
                guard let value = members.first(where: { $0.0 == name })?.1 else {
                    throw .invalid("instances[\(index)] has no '\(name)'; every row must name the same inputs as instances[0].")
                }
                columns[position].append(value)
            }
            if let extra = members.first(where: { !names.contains($0.0) }) {
                throw .invalid("instances[\(index)] has '\(extra.0)', which instances[0] does not; every row must name the same inputs.")
            }
        }
        return zip(names, columns).map { (name: $0, value: .array($1)) }
    }

    static func requireScalar(_ cell: JSONValue, at location: String) throws(CodecError) {
        switch cell {
        case .array, .object: throw .invalid("\(location) must be a single value, not a \(cell.pythonTypeName == "list" ? "list" : "object").")
        default: return
        }
    }

    static func parseCSV(_ body: [UInt8]) throws(CodecError) -> ScoringInput {
        var reader = CSVReader()
        var records = try reader.feed(body)
        if let last = try reader.finish() { records.append(last) }
        guard let header = records.first else { throw .invalid("The CSV body is empty; it needs a header row naming the columns.") }
        let table = try csvTable(header: header.fields, records: records.dropFirst())
        return ScoringInput(format: .csv, payload: .table(table), params: nil)
    }

    /// CSV records under a header as a table; a record with the wrong field count is named by its line.
    public static func csvTable(header: [String], records: some Collection<(line: Int, fields: [String])>) throws(CodecError) -> DataTable {
        var columns = [[JSONValue]](repeating: [], count: header.count)
        for index in columns.indices { columns[index].reserveCapacity(records.count) }
        for record in records {
            guard record.fields.count == header.count else {
                throw .invalid("CSV line \(record.line) has \(record.fields.count) fields, the header has \(header.count) (\(header.joined(separator: ", "))).")
            }
            for (index, field) in record.fields.enumerated() { columns[index].append(CSVReader.cell(field)) }
        }
        return try DataTable(names: header, columns: columns)
    }

    /// `{"predictions": …}` for the model's outputs, shaped by the request's format.
    public static func render(outputs: [(name: String, value: Value)], for input: ScoringInput) -> [UInt8] {
        JSONWriter.bytes(.object([("predictions", predictions(outputs: outputs, format: input.format))]))
    }

    public static func predictions(outputs: [(name: String, value: Value)], format: ScoringInput.Format) -> JSONValue {
        if format.isTabular {
            let rows = outputs.first?.value.rows ?? 0
            return .array((0..<rows).map { ResponseValues.outputRow(outputs, row: $0) })
        }
        if outputs.count == 1, let only = outputs.first { return ResponseValues.whole(only.value) }
        return .object(outputs.map { ($0.name, ResponseValues.whole($0.value)) })
    }
}
