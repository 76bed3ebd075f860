import YardJSON

/// Model outputs as JSON: whole values, one row of a value, single elements.
public enum ResponseValues {
    /// One row of every output as `{output: value}`: a scalar for an [N] or [N, 1] output, a list for
    /// [N, C], an object keyed by class label for a map sequence (ZipMap). Used by the dataframe
    /// responses, `yard predict --format jsonl`, and the prediction log.
    public static func outputRow(_ outputs: [(name: String, value: Value)], row: Int) -> JSONValue {
        .object(outputs.map { ($0.name, rowValue($0.value, row: row)) })
    }

    public static func rowValue(_ value: Value, row: Int) -> JSONValue {
        switch value {
        case .tensor(let tensor):
            if tensor.rank == 0 { return element(tensor.elements, at: 0) }
            let width = tensor.shape.dropFirst().reduce(1, *)
            if tensor.rank == 1 || width == 1 && tensor.rank == 2 { return element(tensor.elements, at: row * max(width, 1)) }
            return nested(tensor.elements, shape: Array(tensor.shape.dropFirst()), start: row * width)
        case .mapSequence(let maps):
            return mapRow(maps, row: row)
        }
    }

    /// A whole output: nested lists following the tensor's shape, or one object per row for a map sequence.
    public static func whole(_ value: Value) -> JSONValue {
        switch value {
        case .tensor(let tensor):
            if tensor.rank == 0 { return element(tensor.elements, at: 0) }
            return nested(tensor.elements, shape: tensor.shape, start: 0)
        case .mapSequence(let maps):
            return .array((0..<maps.rows).map { mapRow(maps, row: $0) })
        }
    }

    static func mapRow(_ maps: MapSequence, row: Int) -> JSONValue {
        let base = row * maps.keys.count
        switch maps.keys {
        case .int64(let keys):
            return .object(keys.enumerated().map { (String($1), NumberText.json(maps.values[base + $0])) })
        case .string(let keys):
            return .object(keys.enumerated().map { ($1, NumberText.json(maps.values[base + $0])) })
        }
    }

    static func nested(_ elements: Tensor.Elements, shape: [Int], start: Int) -> JSONValue {
        guard let first = shape.first else { return element(elements, at: start) }
        let inner = Array(shape.dropFirst())
        let step = inner.reduce(1, *)
        if inner.isEmpty {
            return .array((0..<first).map { element(elements, at: start + $0) })
        }
        return .array((0..<first).map { nested(elements, shape: inner, start: start + $0 * step) })
    }

    public static func element(_ elements: Tensor.Elements, at index: Int) -> JSONValue {
        switch elements {
        case .float(let values): return NumberText.json(values[index])
        case .double(let values): return NumberText.json(values[index])
        case .int64(let values): return .number(String(values[index]))
        case .string(let values): return .string(values[index])
        case .bool(let values): return .bool(values[index])
        }
    }
}
