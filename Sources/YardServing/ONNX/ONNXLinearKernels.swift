/// Class labels of an ONNX-ML classifier: int64 or string.
enum ClassLabels: Sendable {
    case int64([Int64])
    case string([String])

    var count: Int {
        switch self {
        case .int64(let v): return v.count
        case .string(let v): return v.count
        }
    }

    static func parse(_ context: ONNXNodeContext) throws(InferenceError) -> ClassLabels {
        let strings = try context.strings("classlabels_strings")
        // LinearClassifier spells the integer labels classlabels_ints; the others classlabels_int64s.
        let ints = context.has("classlabels_ints") ? try context.ints("classlabels_ints") : try context.ints("classlabels_int64s")
        if !strings.isEmpty && !ints.isEmpty { throw context.invalid("declares both classlabels_strings and classlabels_int64s") }
        return strings.isEmpty ? .int64(ints) : .string(strings)
    }

    /// The label tensor for a column index per row.
    func labels(_ indices: [Int]) -> Tensor {
        switch self {
        case .int64(let v): return Tensor(unchecked: [indices.count], .int64(indices.map { v[$0] }))
        case .string(let v): return Tensor(unchecked: [indices.count], .string(indices.map { v[$0] }))
        }
    }
}

/// scores = X · Wᵀ + b for a row-major [N, F] input and class-major [C, F] coefficients, written
/// `stride` apart per row starting at `out` (a classifier with one coefficient row leaves room for the
/// complementary score).
func linearScores(_ x: Tensor, _ what: String, rows: Int, width: Int, coefficients: [Float], intercepts: [Float],
                  outputs: Int, stride: Int, into out: UnsafeMutablePointer<Float>) throws(InferenceError) {
    func score(_ x: UnsafePointer<Float>) {
        coefficients.withUnsafeBufferPointer { w in
            intercepts.withUnsafeBufferPointer { b in
                guard let w = w.baseAddress else { return }
                let bias = b.isEmpty ? nil : b.baseAddress
                if stride == outputs {
                    denseRowsTimesTransposed(x, rows: rows, depth: width, w, columns: outputs, bias: bias, into: out)
                    return
                }
                for r in 0..<rows {
                    let row = x + r * width
                    for c in 0..<outputs {
                        out[r * stride + c + (stride - outputs)] = denseDot(row, w + c * width, width) + (bias?[c] ?? 0)
                    }
                }
            }
        }
    }
    guard rows > 0, width > 0 else {
        // No features: every score is its intercept.
        for r in 0..<rows {
            for c in 0..<outputs { out[r * stride + c + (stride - outputs)] = intercepts.isEmpty ? 0 : intercepts[c] }
        }
        return
    }
    if case .float(let values) = x.elements {
        values.withUnsafeBufferPointer { if let base = $0.baseAddress { score(base) } }
    } else {
        let values = try x.floatValues(what)
        values.withUnsafeBufferPointer { if let base = $0.baseAddress { score(base) } }
    }
}

struct LinearClassifierKernel: ONNXKernel {
    let coefficients: [Float]
    let intercepts: [Float]
    let classes: Int
    let labels: ClassLabels
    let transform: PostTransform

    func run(_ inputs: [Value?]) throws(InferenceError) -> [Value] {
        let x = try tensor(inputs, 0)
        let layout = RowLayout(x.shape)
        let rows = layout.rows
        let width = coefficients.count / classes
        guard layout.width == width else {
            throw InferenceError(.invalidInput, "LinearClassifier expects \(width) features per row, got \(layout.width)")
        }
        // One coefficient row for two labels scores the positive class; column 0 gets its complement.
        let columns = classes == 1 ? 2 : classes
        var scores = [Float](repeating: 0, count: rows * columns)
        try scores.withUnsafeMutableBufferPointer { buffer throws(InferenceError) in
            guard let out = buffer.baseAddress else { return }
            try linearScores(x, "LinearClassifier input", rows: rows, width: width, coefficients: coefficients,
                             intercepts: intercepts, outputs: classes, stride: columns, into: out)
        }
        var winners = [Int](repeating: 0, count: rows)
        scores.withUnsafeMutableBufferPointer { scores in
            winners.withUnsafeMutableBufferPointer { winners in
                if classes == 1 {
                    for r in 0..<rows {
                        let s = scores[2 * r + 1]
                        winners[r] = s > 0 ? 1 : 0
                        if transform == .logistic {
                            scores[2 * r] = logisticScore(-s)
                            scores[2 * r + 1] = logisticScore(s)
                        } else {
                            scores[2 * r] = 1 - s
                        }
                    }
                    return
                }
                for r in 0..<rows {
                    let row = r * classes
                    var best = 0
                    var bestScore = scores[row]
                    for c in 1..<classes where scores[row + c] > bestScore {
                        best = c
                        bestScore = scores[row + c]
                    }
                    winners[r] = best
                }
                transform.apply(scores, rows: rows, width: classes)
            }
        }
        return [.tensor(labels.labels(winners)), .tensor(Tensor(unchecked: [rows, columns], .float(scores)))]
    }
}

struct LinearRegressorKernel: ONNXKernel {
    let coefficients: [Float]
    let intercepts: [Float]
    let targets: Int
    let transform: PostTransform

    func run(_ inputs: [Value?]) throws(InferenceError) -> [Value] {
        let x = try tensor(inputs, 0)
        let layout = RowLayout(x.shape)
        let width = coefficients.count / targets
        guard layout.width == width else {
            throw InferenceError(.invalidInput, "LinearRegressor expects \(width) features per row, got \(layout.width)")
        }
        var scores = [Float](repeating: 0, count: layout.rows * targets)
        try scores.withUnsafeMutableBufferPointer { buffer throws(InferenceError) in
            guard let out = buffer.baseAddress else { return }
            try linearScores(x, "LinearRegressor input", rows: layout.rows, width: width, coefficients: coefficients,
                             intercepts: intercepts, outputs: targets, stride: targets, into: out)
            transform.apply(buffer, rows: layout.rows, width: targets)
        }
        return [.tensor(Tensor(unchecked: [layout.rows, targets], .float(scores)))]
    }
}

struct ZipMapKernel: ONNXKernel {
    let keys: MapSequence.Keys

    func run(_ inputs: [Value?]) throws(InferenceError) -> [Value] {
        let x = try tensor(inputs, 0)
        let values = try x.floatValues("ZipMap input")
        let layout = RowLayout(x.shape)
        guard layout.width == keys.count, x.rank <= 2 else {
            throw InferenceError(.invalidInput, "ZipMap has \(keys.count) labels but its input has shape \(x.shape)")
        }
        return [.mapSequence(MapSequence(keys: keys, values: values, rows: layout.rows))]
    }
}

/// LabelEncoder (ai.onnx.ml 1–4): a lookup from string/int64/float keys to string/int64/float values.
struct LabelEncoderKernel: ONNXKernel {
    enum Keys: Sendable { case string([String: Int]), int64([Int64: Int]), float([Float: Int]) }
    let keys: Keys
    let values: Tensor.Elements
    let defaultValue: Tensor.Elements

    func run(_ inputs: [Value?]) throws(InferenceError) -> [Value] {
        let x = try tensor(inputs, 0)
        var positions: [Int?] = []
        switch (keys, x.elements) {
        case (.string(let map), .string(let v)): positions = v.map { map[$0] }
        case (.int64(let map), .int64(let v)): positions = v.map { map[$0] }
        case (.float(let map), .float(let v)): positions = v.map { map[$0] }
        case (.float(let map), .double(let v)): positions = v.map { map[Float($0)] }
        default:
            throw InferenceError(.invalidInput, "LabelEncoder got \(x.elementType) input, which does not match its keys")
        }
        func lookup<T>(_ table: [T], _ fallback: T) -> [T] { positions.map { $0.map { table[$0] } ?? fallback } }
        let elements: Tensor.Elements
        switch (values, defaultValue) {
        case (.string(let t), .string(let d)): elements = .string(lookup(t, d.first ?? "_Unused"))
        case (.int64(let t), .int64(let d)): elements = .int64(lookup(t, d.first ?? -1))
        case (.float(let t), .float(let d)): elements = .float(lookup(t, d.first ?? -0.0))
        default: throw InferenceError(.invalidInput, "LabelEncoder values and default disagree in type")
        }
        return [.tensor(Tensor(unchecked: x.shape, elements))]
    }
}
