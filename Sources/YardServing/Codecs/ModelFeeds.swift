import YardJSON

/// Request data converted to the model's inputs, plus which request column went where (for the
/// prediction log, which stores each row's inputs by column name).
public struct ModelFeeds: Sendable {
    /// Where one named request column sits: input `input`, position `offset` within a row of `stride`.
    public struct Column: Sendable, Equatable {
        public let name: String
        public let input: String
        public let offset: Int
        public let stride: Int
    }

    public let tensors: [String: Tensor]
    public let rows: Int
    public let columns: [Column]

    /// One row's inputs as a compact object `{column: value}`, in column order.
    public func inputRow(_ row: Int) -> JSONValue {
        .object(columns.compactMap { column in
            guard let tensor = tensors[column.input] else { return nil }
            return (column.name, ResponseValues.element(tensor.elements, at: row * column.stride + column.offset))
        })
    }
}

extension ServableModel {
    /// The model's inputs filled from a parsed scoring request. Column and tensor mapping:
    /// - a table for a model with one input of shape [N, F]: the columns in signature order when the
    ///   package has a column-based signature (every signature column required, no others), else in
    ///   request order when there are exactly F of them;
    /// - a table for a model with several inputs (e.g. a ColumnTransformer converted with one [N, 1]
    ///   input per column): each input takes the column of the same name;
    /// - a plain list: the single input; rank and fixed dimensions must match (a list of scalars may
    ///   fill an [N, 1] input);
    /// - named tensors: by input name; names that are not inputs are read as table columns instead.
    /// `rowOffset` is added to row numbers in error messages (for callers that feed a file in chunks).
    public func feeds(for input: ScoringInput, rowOffset: Int = 0) throws(CodecError) -> ModelFeeds {
        switch input.payload {
        case .table(let table):
            return try feeds(table: table, rowOffset: rowOffset)
        case .tensor(let value):
            let tensorInputs = model.inputs
            guard tensorInputs.count == 1, let only = tensorInputs.first else {
                throw .invalid("\(input.format.rawValue) is a plain list, but the model has \(tensorInputs.count) inputs (\(Self.names(tensorInputs))); send an object of named inputs, e.g. {\"\(input.format == .instances ? "inputs" : input.format.rawValue)\": {\"\(tensorInputs.first?.name ?? "x")\": [...]}}")
            }
            let tensor = try tensorFeed(value, for: only, label: input.format.rawValue, rowOffset: rowOffset)
            return ModelFeeds(tensors: [only.name: tensor], rows: tensor.shape.first ?? 1, columns: columnMap(for: only, tensor: tensor))
        case .namedTensors(let named):
            let inputNames = Set(model.inputs.map(\.name))
            if named.allSatisfy({ inputNames.contains($0.name) }) {
                return try feeds(namedTensors: named, label: input.format.rawValue, rowOffset: rowOffset)
            }
            // Column names rather than input names (e.g. {"inputs": {"age": [..], "income": [..]}}).
            var columns: [[JSONValue]] = []
            for (name, value) in named {
                columns.append(try Self.columnCells(value, name: name, label: input.format.rawValue))
            }
            return try feeds(table: try DataTable(names: named.map(\.name), columns: columns), rowOffset: rowOffset)
        }
    }

    func feeds(namedTensors named: [(name: String, value: JSONValue)], label: String, rowOffset: Int) throws(CodecError) -> ModelFeeds {
        var tensors: [String: Tensor] = [:]
        var columns: [ModelFeeds.Column] = []
        for info in model.inputs {
            guard let value = named.first(where: { $0.name == info.name })?.value else {
                throw .invalid("\(label) has no input '\(info.name)'; the model takes \(Self.names(model.inputs))")
            }
            let tensor = try tensorFeed(value, for: info, label: "\(label).\(info.name)", rowOffset: rowOffset)
            tensors[info.name] = tensor
            columns += columnMap(for: info, tensor: tensor)
        }
        let rows = try Self.commonRows(tensors, order: model.inputs.map(\.name))
        return ModelFeeds(tensors: tensors, rows: rows, columns: columns)
    }

    func feeds(table: DataTable, rowOffset: Int) throws(CodecError) -> ModelFeeds {
        guard table.rowCount > 0 else { throw .invalid("the request has no rows") }
        let inputs = model.inputs
        for info in inputs where info.elementType == nil {
            throw .invalid("model input '\(info.name)' is not a tensor, so it cannot be filled from columns")
        }
        let byName = inputs.count > 1 || (inputs.count == 1 && table.names == [inputs[0].name] && (inputs[0].shape?.last ?? 1) == 1)
        if byName {
            return try feedsByInputName(table: table, rowOffset: rowOffset)
        }
        guard let only = inputs.first, let type = only.elementType else {
            throw .invalid("the model declares no inputs")
        }
        let rank = only.shape?.count ?? 2
        guard rank == 1 || rank == 2 else {
            throw .invalid("model input '\(only.name)' has rank \(rank) (shape \(Self.shapeText(only.shape))), so it cannot be filled from table columns; send {\"inputs\": <nested list>}")
        }
        let featureCount = rank == 2 ? (only.shape?[1] ?? nil) : 1
        let order: [String]
        if let signatureNames = signature?.inputColumnNames {
            if let unknown = table.names.first(where: { !signatureNames.contains($0) }) {
                throw .invalid("column '\(unknown)' is not an input of this model; it takes \(signatureNames.joined(separator: ", "))")
            }
            if let missing = signatureNames.first(where: { !table.names.contains($0) }) {
                throw .invalid("column '\(missing)' is missing; the model takes \(signatureNames.joined(separator: ", "))")
            }
            order = signatureNames
        } else {
            order = table.names
        }
        if let featureCount, order.count != featureCount {
            throw .invalid("model input '\(only.name)' takes \(featureCount) feature\(featureCount == 1 ? "" : "s") per row, the request has \(order.count) column\(order.count == 1 ? "" : "s") (\(order.joined(separator: ", "))); send the \(featureCount) feature columns in training order")
        }
        let width = order.count
        var buffer = TypedBuffer(type, count: table.rowCount * width)
        var columns: [ModelFeeds.Column] = []
        for (offset, name) in order.enumerated() {
            guard let index = table.names.firstIndex(of: name) else { continue }
            try CellConversion.fill(&buffer, cells: table.columns[index], stride: width, offset: offset,
                                    where: { "column '\(name)', row \($0 + rowOffset)" })
            columns.append(.init(name: name, input: only.name, offset: offset, stride: width))
        }
        let shape = rank == 2 ? [table.rowCount, width] : [table.rowCount]
        let tensor = Tensor(unchecked: shape, buffer.elements)
        return ModelFeeds(tensors: [only.name: tensor], rows: table.rowCount, columns: columns)
    }

    private func feedsByInputName(table: DataTable, rowOffset: Int) throws(CodecError) -> ModelFeeds {
        let inputs = model.inputs
        if let unknown = table.names.first(where: { name in !inputs.contains(where: { $0.name == name }) }) {
            throw .invalid("column '\(unknown)' is not an input of this model; it takes \(Self.names(inputs))")
        }
        var tensors: [String: Tensor] = [:]
        var columns: [ModelFeeds.Column] = []
        for info in inputs {
            guard let index = table.names.firstIndex(of: info.name), let type = info.elementType else {
                throw .invalid("column '\(info.name)' is missing; the model takes \(Self.names(inputs))")
            }
            let shape: [Int]
            switch info.shape?.count ?? 2 {
            case 1: shape = [table.rowCount]
            case 2:
                if let width = info.shape?[1] ?? nil, width != 1 {
                    throw .invalid("model input '\(info.name)' takes \(width) values per row (shape \(Self.shapeText(info.shape))), one column cannot fill it; send {\"inputs\": {\"\(info.name)\": <rows of \(width)>}}")
                }
                shape = [table.rowCount, 1]
            default:
                throw .invalid("model input '\(info.name)' has shape \(Self.shapeText(info.shape)), which one column cannot fill")
            }
            var buffer = TypedBuffer(type, count: table.rowCount)
            try CellConversion.fill(&buffer, cells: table.columns[index], stride: 1, offset: 0,
                                    where: { "column '\(info.name)', row \($0 + rowOffset)" })
            tensors[info.name] = Tensor(unchecked: shape, buffer.elements)
            columns.append(.init(name: info.name, input: info.name, offset: 0, stride: 1))
        }
        return ModelFeeds(tensors: tensors, rows: table.rowCount, columns: columns)
    }

    /// A nested list for one input: shape from the nesting, checked against the declared shape.
    func tensorFeed(_ value: JSONValue, for info: ValueInfo, label: String, rowOffset: Int) throws(CodecError) -> Tensor {
        guard let type = info.elementType else {
            throw .invalid("model input '\(info.name)' is not a tensor")
        }
        var (shape, leaves) = try NestedList.flatten(value, label: label)
        shape = try Self.conform(shape, to: info, label: label)
        var buffer = TypedBuffer(type, count: leaves.count)
        let rowWidth = max(1, shape.dropFirst().reduce(1, *))
        try CellConversion.fill(&buffer, cells: leaves, stride: 1, offset: 0, where: { position in
            shape.count > 1 ? "\(label), row \(position / rowWidth + rowOffset), value \(position % rowWidth)" : "\(label), row \(position + rowOffset)"
        })
        return Tensor(unchecked: shape, buffer.elements)
    }

    /// The request's shape, made to fit the declared one where that is unambiguous ([N] for [N, 1]).
    static func conform(_ shape: [Int], to info: ValueInfo, label: String) throws(CodecError) -> [Int] {
        guard let declared = info.shape else { return shape }
        var shape = shape
        if shape.count == declared.count - 1, declared.last == 1 {
            shape.append(1)
        }
        let matches = shape.count == declared.count && zip(shape, declared).allSatisfy { actual, expected in expected.map { $0 == actual } ?? true }
        guard matches else {
            throw .invalid("\(label): model input '\(info.name)' takes shape \(shapeText(declared)), the request has \(shape)")
        }
        return shape
    }

    func columnMap(for info: ValueInfo, tensor: Tensor) -> [ModelFeeds.Column] {
        let width = max(1, tensor.shape.dropFirst().reduce(1, *))
        if tensor.rank == 2, let names = signature?.inputColumnNames, names.count == width, model.inputs.count == 1 {
            return names.enumerated().map { .init(name: $1, input: info.name, offset: $0, stride: width) }
        }
        if width == 1 { return [.init(name: info.name, input: info.name, offset: 0, stride: 1)] }
        return (0..<width).map { .init(name: "\(info.name)_\($0)", input: info.name, offset: $0, stride: width) }
    }

    static func columnCells(_ value: JSONValue, name: String, label: String) throws(CodecError) -> [JSONValue] {
        guard case .array(let elements) = value else { return [value] }
        return try elements.map { element throws(CodecError) in
            switch element {
            case .array(let inner) where inner.count == 1: return inner[0]
            case .array, .object: throw .invalid("\(label).\(name) must be a list of scalars, one per row")
            default: return element
            }
        }
    }

    static func commonRows(_ tensors: [String: Tensor], order: [String]) throws(CodecError) -> Int {
        var rows: Int?
        var first = ""
        for name in order {
            guard let tensor = tensors[name] else { continue }
            let count = tensor.shape.first ?? 1
            if let rows, rows != count {
                throw .invalid("input '\(name)' has \(count) rows, input '\(first)' has \(rows); every input needs the same number of rows")
            }
            if rows == nil { (rows, first) = (count, name) }
        }
        guard let rows, rows > 0 else { throw .invalid("the request has no rows") }
        return rows
    }

    static func names(_ infos: [ValueInfo]) -> String {
        infos.map(\.name).joined(separator: ", ")
    }

    static func shapeText(_ shape: [Int?]?) -> String {
        guard let shape else { return "[?]" }
        return "[" + shape.map { $0.map(String.init) ?? "N" }.joined(separator: ", ") + "]"
    }
}

/// Nested JSON lists as a shape and row-major leaves.
enum NestedList {
    static func flatten(_ value: JSONValue, label: String) throws(CodecError) -> (shape: [Int], leaves: [JSONValue]) {
        var shape: [Int] = []
        var probe = value
        while case .array(let elements) = probe {
            shape.append(elements.count)
            guard let first = elements.first else { break }
            probe = first
        }
        var leaves: [JSONValue] = []
        leaves.reserveCapacity(shape.reduce(1, *))
        try collect(value, depth: 0, shape: shape, path: label, into: &leaves)
        return (shape, leaves)
    }

    private static func collect(_ value: JSONValue, depth: Int, shape: [Int], path: String, into leaves: inout [JSONValue]) throws(CodecError) {
        if depth == shape.count {
            if case .array = value { throw .invalid("\(path) is a list where the other entries at this depth are scalars (lists must be rectangular)") }
            if case .object = value { throw .invalid("\(path) is an object; expected a number or string") }
            leaves.append(value)
            return
        }
        guard case .array(let elements) = value else {
            throw .invalid("\(path) is a scalar where a list of \(shape[depth]) was expected (lists must be rectangular)")
        }
        guard elements.count == shape[depth] else {
            throw .invalid("\(path) has \(elements.count) entries, the first list at this depth has \(shape[depth]) (lists must be rectangular)")
        }
        for (index, element) in elements.enumerated() {
            try collect(element, depth: depth + 1, shape: shape, path: "\(path)[\(index)]", into: &leaves)
        }
    }
}
