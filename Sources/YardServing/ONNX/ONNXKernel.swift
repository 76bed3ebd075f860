/// One compiled graph node. Built once at load (where every attribute and constant index is checked)
/// and run for each request; implementations hold only immutable, precomputed state.
protocol ONNXKernel: Sendable {
    /// `inputs` has one entry per node input, nil where the node leaves an optional input empty.
    func run(_ inputs: [Value?]) throws(InferenceError) -> [Value]
}

/// Accessors kernels share for reading their inputs; errors are the caller's (a request's shape or type).
extension ONNXKernel {
    func tensor(_ inputs: [Value?], _ index: Int) throws(InferenceError) -> Tensor {
        guard index < inputs.count, let value = inputs[index] else {
            throw InferenceError(.invalidInput, "input \(index) is missing")
        }
        guard case .tensor(let tensor) = value else {
            throw InferenceError(.invalidInput, "input \(index) is a sequence of maps, a tensor was expected")
        }
        return tensor
    }

    func optionalTensor(_ inputs: [Value?], _ index: Int) throws(InferenceError) -> Tensor? {
        guard index < inputs.count, inputs[index] != nil else { return nil }
        return try tensor(inputs, index)
    }
}

/// A batch viewed as rows × features: rank 1 is one row, rank 2 is [N, F], higher ranks flatten the tail
/// (what the ONNX-ML operators do).
struct RowLayout {
    let rows: Int
    let width: Int

    init(_ shape: [Int]) {
        switch shape.count {
        case 0: rows = 1; width = 1
        case 1: rows = 1; width = shape[0]
        default:
            rows = shape[0]
            width = shape.dropFirst().reduce(1, *)
        }
    }
}

/// Numeric views used by the ML operators, which compute in float whatever they are given.
extension Tensor {
    func floatValues(_ what: String) throws(InferenceError) -> [Float] {
        switch elements {
        case .float(let values): return values
        case .double(let values): return values.map { Float($0) }
        case .int64(let values): return values.map { Float($0) }
        case .bool(let values): return values.map { $0 ? 1 : 0 }
        case .string: throw InferenceError(.invalidInput, "\(what) must be numeric, got strings")
        }
    }

    func doubleValues(_ what: String) throws(InferenceError) -> [Double] {
        switch elements {
        case .float(let values): return values.map { Double($0) }
        case .double(let values): return values
        case .int64(let values): return values.map { Double($0) }
        case .bool(let values): return values.map { $0 ? 1 : 0 }
        case .string: throw InferenceError(.invalidInput, "\(what) must be numeric, got strings")
        }
    }

    func int64Values(_ what: String) throws(InferenceError) -> [Int64] {
        switch elements {
        case .int64(let values): return values
        case .bool(let values): return values.map { $0 ? 1 : 0 }
        case .float(let values): return values.map { saturatingInt64($0) }
        case .double(let values): return values.map { saturatingInt64($0) }
        case .string: throw InferenceError(.invalidInput, "\(what) must be integers, got strings")
        }
    }
}

/// Float-to-integer conversion that cannot trap: NaN and out-of-range values become Int64.min, as the
/// x86 conversion instruction (and hence onnxruntime there) yields.
@inline(__always)
func saturatingInt64<F: BinaryFloatingPoint>(_ value: F) -> Int64 {
    guard value.isFinite, value > -9.223372036854775e18, value < 9.223372036854775e18 else { return Int64.min }
    return Int64(value)
}

/// Resolves a possibly negative axis against a rank.
func normalizedAxis(_ axis: Int, rank: Int, _ what: String) throws(InferenceError) -> Int {
    let resolved = axis < 0 ? axis + rank : axis
    guard resolved >= 0, resolved < max(rank, 1) else {
        throw InferenceError(.invalidInput, "\(what) axis \(axis) is out of range for rank \(rank)")
    }
    return resolved
}

func elementCount(_ shape: [Int]) throws(InferenceError) -> Int {
    var count = 1
    for dim in shape {
        guard dim >= 0 else { throw InferenceError(.invalidInput, "shape \(shape) has a negative dimension") }
        let (product, overflow) = count.multipliedReportingOverflow(by: dim)
        guard !overflow, product <= 1 << 40 else { throw InferenceError(.invalidInput, "shape \(shape) is too large") }
        count = product
    }
    return count
}
