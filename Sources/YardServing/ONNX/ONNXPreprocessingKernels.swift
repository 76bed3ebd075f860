/// The ONNX-ML feature transforms: Scaler, Imputer, Normalizer, Binarizer, OneHotEncoder,
/// ArrayFeatureExtractor, FeatureVectorizer.
struct ScalerKernel: ONNXKernel {
    let offset: [Float]
    let scale: [Float]

    func run(_ inputs: [Value?]) throws(InferenceError) -> [Value] {
        let x = try tensor(inputs, 0)
        let values = try x.floatValues("Scaler input")
        let layout = RowLayout(x.shape)
        func parameter(_ array: [Float], _ name: String) throws(InferenceError) -> (Int) -> Float {
            if array.isEmpty { return { _ in name == "scale" ? 1 : 0 } }
            if array.count == 1 { let v = array[0]; return { _ in v } }
            guard array.count == layout.width else {
                throw InferenceError(.invalidInput, "Scaler has \(array.count) \(name) values but the input has \(layout.width) columns")
            }
            return { array[$0] }
        }
        let offsetAt = try parameter(offset, "offset")
        let scaleAt = try parameter(scale, "scale")
        var out = values
        for r in 0..<layout.rows {
            for c in 0..<layout.width {
                let i = r * layout.width + c
                out[i] = (values[i] - offsetAt(c)) * scaleAt(c)
            }
        }
        return [.tensor(Tensor(unchecked: x.shape, .float(out)))]
    }
}

struct ImputerKernel: ONNXKernel {
    let imputedFloats: [Float]
    let replacedFloat: Float
    let imputedInts: [Int64]
    let replacedInt: Int64
    /// The Float imputed values widened once per model, for double inputs.
    let imputedDoubles: [Double]

    init(imputedFloats: [Float], replacedFloat: Float, imputedInts: [Int64], replacedInt: Int64) {
        self.imputedFloats = imputedFloats
        self.replacedFloat = replacedFloat
        self.imputedInts = imputedInts
        self.replacedInt = replacedInt
        imputedDoubles = imputedFloats.map(Double.init)
    }

    func run(_ inputs: [Value?]) throws(InferenceError) -> [Value] {
        let x = try tensor(inputs, 0)
        let layout = RowLayout(x.shape)
        func fill<T>(_ values: [T], _ imputed: [T], _ isMissing: (T) -> Bool) throws(InferenceError) -> [T] {
            guard imputed.count == 1 || imputed.count == layout.width else {
                throw InferenceError(.invalidInput, "Imputer has \(imputed.count) imputed values but the input has \(layout.width) columns")
            }
            var out = values
            for i in out.indices where isMissing(out[i]) {
                out[i] = imputed.count == 1 ? imputed[0] : imputed[i % layout.width]
            }
            return out
        }
        switch x.elements {
        case .float(let v):
            let replaced = replacedFloat
            return [.tensor(Tensor(unchecked: x.shape, .float(try fill(v, imputedFloats, replaced.isNaN ? { $0.isNaN } : { $0 == replaced }))))]
        case .double(let v):
            let replaced = Double(replacedFloat)
            return [.tensor(Tensor(unchecked: x.shape, .double(try fill(v, imputedDoubles, replaced.isNaN ? { $0.isNaN } : { $0 == replaced }))))]
        case .int64(let v):
            let replaced = replacedInt
            return [.tensor(Tensor(unchecked: x.shape, .int64(try fill(v, imputedInts, { $0 == replaced }))))]
        default:
            throw InferenceError(.invalidInput, "Imputer needs a numeric tensor, got \(x.elementType)")
        }
    }
}

struct NormalizerKernel: ONNXKernel {
    enum Norm: String, CaseIterable { case max = "MAX", l1 = "L1", l2 = "L2" }
    let norm: Norm

    func run(_ inputs: [Value?]) throws(InferenceError) -> [Value] {
        let x = try tensor(inputs, 0)
        var values = try x.floatValues("Normalizer input")
        let layout = RowLayout(x.shape)
        values.withUnsafeMutableBufferPointer { buffer in
            for r in 0..<layout.rows {
                let row = UnsafeMutableBufferPointer(rebasing: buffer[(r * layout.width)..<((r + 1) * layout.width)])
                var divisor: Float = 0
                switch norm {
                case .max:
                    divisor = -.infinity
                    for v in row where v > divisor { divisor = v }
                case .l1: for v in row { divisor += abs(v) }
                case .l2:
                    for v in row { divisor += v * v }
                    divisor = divisor.squareRoot()
                }
                if divisor != 0 && divisor.isFinite { for i in row.indices { row[i] /= divisor } }
            }
        }
        return [.tensor(Tensor(unchecked: x.shape, .float(values)))]
    }
}

struct BinarizerKernel: ONNXKernel {
    let threshold: Float

    func run(_ inputs: [Value?]) throws(InferenceError) -> [Value] {
        let x = try tensor(inputs, 0)
        switch x.elements {
        case .float(let v): return [.tensor(Tensor(unchecked: x.shape, .float(v.map { $0 > threshold ? 1 : 0 })))]
        case .double(let v): return [.tensor(Tensor(unchecked: x.shape, .double(v.map { $0 > Double(threshold) ? 1 : 0 })))]
        case .int64(let v): return [.tensor(Tensor(unchecked: x.shape, .int64(v.map { Float($0) > threshold ? 1 : 0 })))]
        default: throw InferenceError(.invalidInput, "Binarizer needs a numeric tensor, got \(x.elementType)")
        }
    }
}

struct OneHotEncoderKernel: ONNXKernel {
    let stringCategories: [String: Int]?
    let intCategories: [Int64: Int]
    let categoryCount: Int
    let unknownGivesZeros: Bool

    func run(_ inputs: [Value?]) throws(InferenceError) -> [Value] {
        let x = try tensor(inputs, 0)
        var out = [Float](repeating: 0, count: x.count * categoryCount)
        func mark(_ index: Int, _ category: Int?, _ shown: @autoclosure () -> String) throws(InferenceError) {
            if let category {
                out[index * categoryCount + category] = 1
            } else if !unknownGivesZeros {
                throw InferenceError(.invalidInput, "OneHotEncoder: unknown category \(shown()) (the model was exported with zeros=0)")
            }
        }
        if let stringCategories {
            guard case .string(let values) = x.elements else {
                throw InferenceError(.invalidInput, "OneHotEncoder expects strings, got \(x.elementType)")
            }
            for (i, v) in values.enumerated() { try mark(i, stringCategories[v], "'\(v)'") }
        } else {
            let values = try x.int64Values("OneHotEncoder input")
            for (i, v) in values.enumerated() { try mark(i, intCategories[v], "\(v)") }
        }
        return [.tensor(Tensor(unchecked: x.shape + [categoryCount], .float(out)))]
    }
}

struct ArrayFeatureExtractorKernel: ONNXKernel {
    func run(_ inputs: [Value?]) throws(InferenceError) -> [Value] {
        let x = try tensor(inputs, 0)
        let indices = try tensor(inputs, 1).int64Values("ArrayFeatureExtractor indices")
        guard let last = x.shape.last, x.rank >= 1 else {
            throw InferenceError(.invalidInput, "ArrayFeatureExtractor needs a tensor of rank 1 or more")
        }
        var columns: [Int] = []
        for index in indices {
            guard index >= 0, index < Int64(last) else {
                throw InferenceError(.invalidInput, "ArrayFeatureExtractor index \(index) is out of range for \(last) columns")
            }
            columns.append(Int(index))
        }
        let rows = last == 0 ? 0 : x.count / last
        var picks: [Int] = []
        picks.reserveCapacity(rows * columns.count)
        for r in 0..<rows { for c in columns { picks.append(r * last + c) } }
        let shape = x.rank == 1 ? [1, columns.count] : Array(x.shape.dropLast()) + [columns.count]
        return [.tensor(Tensor(unchecked: shape, x.elements.picking(picks)))]
    }
}

struct FeatureVectorizerKernel: ONNXKernel {
    let dimensions: [Int]

    func run(_ inputs: [Value?]) throws(InferenceError) -> [Value] {
        var parts: [(values: [Float], layout: RowLayout)] = []
        for index in inputs.indices {
            let t = try tensor(inputs, index)
            parts.append((try t.floatValues("FeatureVectorizer input \(index)"), RowLayout(t.shape)))
        }
        guard parts.count == dimensions.count else {
            throw InferenceError(.invalidInput, "FeatureVectorizer has \(parts.count) inputs but \(dimensions.count) input dimensions")
        }
        let rows = parts.first?.layout.rows ?? 0
        let width = dimensions.reduce(0, +)
        var out = [Float](repeating: 0, count: rows * width)
        var column = 0
        for (part, dimension) in zip(parts, dimensions) {
            guard part.layout.rows == rows else { throw InferenceError(.invalidInput, "FeatureVectorizer inputs have different row counts") }
            let copied = min(dimension, part.layout.width)
            for r in 0..<rows {
                for c in 0..<copied { out[r * width + column + c] = part.values[r * part.layout.width + c] }
            }
            column += dimension
        }
        return [.tensor(Tensor(unchecked: [rows, width], .float(out)))]
    }
}
