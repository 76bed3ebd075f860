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

/// scores = X · Wᵀ + b for a row-major [N, F] input and class-major [C, F] coefficients.
func linearScores(_ x: [Float], rows: Int, width: Int, coefficients: [Float], intercepts: [Float], outputs: Int) -> [Float] {
    var scores = [Float](repeating: 0, count: rows * outputs)
    x.withUnsafeBufferPointer { x in
        coefficients.withUnsafeBufferPointer { w in
            scores.withUnsafeMutableBufferPointer { out in
                for r in 0..<rows {
                    let row = r * width
                    for c in 0..<outputs {
                        var sum: Float = 0
                        let weights = c * width
                        for f in 0..<width { sum += x[row + f] * w[weights + f] }
                        out[r * outputs + c] = sum + (intercepts.isEmpty ? 0 : intercepts[c])
                    }
                }
            }
        }
    }
    return scores
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
        let width = coefficients.count / classes
        guard layout.width == width else {
            throw InferenceError(.invalidInput, "LinearClassifier expects \(width) features per row, got \(layout.width)")
        }
        var scores = linearScores(try x.floatValues("LinearClassifier input"), rows: layout.rows, width: width,
                                  coefficients: coefficients, intercepts: intercepts, outputs: classes)
        var winners = [Int](repeating: 0, count: layout.rows)
        if classes == 1 {
            // One coefficient row for two labels: the row scores the positive class.
            var pairs = [Float](repeating: 0, count: layout.rows * 2)
            for r in 0..<layout.rows {
                let s = scores[r]
                winners[r] = s > 0 ? 1 : 0
                if transform == .logistic {
                    pairs[2 * r] = logisticScore(-s); pairs[2 * r + 1] = logisticScore(s)
                } else {
                    pairs[2 * r] = 1 - s; pairs[2 * r + 1] = s
                }
            }
            return [.tensor(labels.labels(winners)), .tensor(Tensor(unchecked: [layout.rows, 2], .float(pairs)))]
        }
        scores.withUnsafeMutableBufferPointer { buffer in
            for r in 0..<layout.rows {
                let row = UnsafeMutableBufferPointer(rebasing: buffer[(r * classes)..<((r + 1) * classes)])
                var best = 0
                for c in 1..<classes where row[c] > row[best] { best = c }
                winners[r] = best
                transform.apply(row)
            }
        }
        return [.tensor(labels.labels(winners)), .tensor(Tensor(unchecked: [layout.rows, classes], .float(scores)))]
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
        var scores = linearScores(try x.floatValues("LinearRegressor input"), rows: layout.rows, width: width,
                                  coefficients: coefficients, intercepts: intercepts, outputs: targets)
        if transform != .none {
            scores.withUnsafeMutableBufferPointer { buffer in
                for r in 0..<layout.rows {
                    transform.apply(UnsafeMutableBufferPointer(rebasing: buffer[(r * targets)..<((r + 1) * targets)]))
                }
            }
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
