/// The synthetic request a freshly loaded model must answer before it is swapped in: one row of zeros
/// (empty strings, false) per input, so a model that loads but cannot evaluate never takes traffic.
public enum WarmUp {
    public static func feeds(for inputs: [ValueInfo]) throws(InferenceError) -> [String: Tensor] {
        var feeds: [String: Tensor] = [:]
        for input in inputs {
            guard case .tensor(let type, let declared) = input.kind else {
                throw InferenceError(.unsupported, "input '\(input.name)' is a sequence of maps; serving takes tensor inputs only")
            }
            // Free dimensions (the batch, usually) become 1; an unknown rank is taken as one row of one value.
            let shape = (declared ?? [nil, nil]).enumerated().map { index, dimension in
                index == 0 ? 1 : (dimension ?? 1)
            }
            let count = shape.reduce(1, *)
            let elements: Tensor.Elements
            switch type {
            case .float: elements = .float(Array(repeating: 0, count: count))
            case .double: elements = .double(Array(repeating: 0, count: count))
            case .int64: elements = .int64(Array(repeating: 0, count: count))
            case .string: elements = .string(Array(repeating: "", count: count))
            case .bool: elements = .bool(Array(repeating: false, count: count))
            }
            feeds[input.name] = try Tensor(shape: shape, elements: elements)
        }
        return feeds
    }

    /// Runs the synthetic row through `model`; throws what the model throws.
    public static func run(_ model: any InferenceModel) throws(InferenceError) {
        _ = try model.predict(feeds(for: model.inputs))
    }
}
