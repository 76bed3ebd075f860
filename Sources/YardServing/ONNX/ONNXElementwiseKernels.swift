import Foundation

/// Element-wise functions of one tensor (Relu, Tanh, Sigmoid, Abs, Neg, Exp, Log, Sqrt).
struct UnaryKernel: ONNXKernel {
    enum Function: String, CaseIterable { case relu = "Relu", tanh = "Tanh", sigmoid = "Sigmoid", abs = "Abs", neg = "Neg", exp = "Exp", log = "Log", sqrt = "Sqrt" }
    let function: Function

    func run(_ inputs: [Value?]) throws(InferenceError) -> [Value] {
        let x = try tensor(inputs, 0)
        let elements: Tensor.Elements
        switch x.elements {
        case .float(let values): elements = .float(apply(values))
        case .double(let values): elements = .double(apply(values))
        case .int64(let values):
            switch function {
            case .relu: elements = .int64(values.map { max($0, 0) })
            case .abs: elements = .int64(values.map { $0 == Int64.min ? $0 : Swift.abs($0) })
            case .neg: elements = .int64(values.map { 0 &- $0 })
            default: throw InferenceError(.invalidInput, "\(function.rawValue) is defined for floating-point tensors, got int64")
            }
        default: throw InferenceError(.invalidInput, "\(function.rawValue) needs a numeric tensor, got \(x.elementType)")
        }
        return [.tensor(Tensor(unchecked: x.shape, elements))]
    }

    private func apply<F: BinaryFloatingPoint & ElementaryFunctionsShim>(_ values: [F]) -> [F] {
        switch function {
        case .relu: return values.map { $0 > 0 ? $0 : 0 }
        case .tanh: return values.map { F.tanhShim($0) }
        case .sigmoid: return values.map { x in
            // Stable for large |x|: exp of a non-positive number only.
            let e = F.expShim(-Swift.abs(x))
            return x >= 0 ? 1 / (1 + e) : e / (1 + e)
        }
        case .abs: return values.map { Swift.abs($0) }
        case .neg: return values.map { -$0 }
        case .exp: return values.map { F.expShim($0) }
        case .log: return values.map { F.logShim($0) }
        case .sqrt: return values.map { $0.squareRoot() }
        }
    }
}

/// The libm functions for Float and Double behind one generic name.
protocol ElementaryFunctionsShim {
    static func expShim(_ x: Self) -> Self
    static func logShim(_ x: Self) -> Self
    static func tanhShim(_ x: Self) -> Self
    static func powShim(_ x: Self, _ y: Self) -> Self
}

extension Float: ElementaryFunctionsShim {
    @inline(__always) static func expShim(_ x: Float) -> Float { Foundation.expf(x) }
    @inline(__always) static func logShim(_ x: Float) -> Float { Foundation.logf(x) }
    @inline(__always) static func tanhShim(_ x: Float) -> Float { Foundation.tanhf(x) }
    @inline(__always) static func powShim(_ x: Float, _ y: Float) -> Float { Foundation.powf(x, y) }
}

extension Double: ElementaryFunctionsShim {
    @inline(__always) static func expShim(_ x: Double) -> Double { Foundation.exp(x) }
    @inline(__always) static func logShim(_ x: Double) -> Double { Foundation.log(x) }
    @inline(__always) static func tanhShim(_ x: Double) -> Double { Foundation.tanh(x) }
    @inline(__always) static func powShim(_ x: Double, _ y: Double) -> Double { Foundation.pow(x, y) }
}

/// Add, Sub, Mul, Div, Pow with numpy-style multidirectional broadcasting.
struct BinaryKernel: ONNXKernel {
    enum Operation: String, CaseIterable { case add = "Add", sub = "Sub", mul = "Mul", div = "Div", pow = "Pow" }
    let operation: Operation

    func run(_ inputs: [Value?]) throws(InferenceError) -> [Value] {
        let a = try tensor(inputs, 0)
        let b = try tensor(inputs, 1)
        let shape = try broadcastShape(a.shape, b.shape)
        let elements: Tensor.Elements
        switch (a.elements, b.elements) {
        case (.float(let x), .float(let y)):
            elements = .float(try broadcast(x, a.shape, y, b.shape, shape, floating(Float.self)))
        case (.double(let x), .double(let y)):
            elements = .double(try broadcast(x, a.shape, y, b.shape, shape, floating(Double.self)))
        case (.float(let x), _) where operation == .pow:
            let y = try b.floatValues("exponent")
            elements = .float(try broadcast(x, a.shape, y, b.shape, shape, floating(Float.self)))
        case (.double(let x), _) where operation == .pow:
            let y = try b.doubleValues("exponent")
            elements = .double(try broadcast(x, a.shape, y, b.shape, shape, floating(Double.self)))
        case (.int64(let x), .int64(let y)):
            if operation == .div, y.contains(0) {
                throw InferenceError(.invalidInput, "integer division by zero")
            }
            elements = .int64(try broadcast(x, a.shape, y, b.shape, shape, integer))
        default:
            throw InferenceError(.invalidInput, "\(operation.rawValue) needs two tensors of the same numeric type, got \(a.elementType) and \(b.elementType)")
        }
        return [.tensor(Tensor(unchecked: shape, elements))]
    }

    private func floating<F: BinaryFloatingPoint & ElementaryFunctionsShim>(_: F.Type) -> (F, F) -> F {
        switch operation {
        case .add: return { $0 + $1 }
        case .sub: return { $0 - $1 }
        case .mul: return { $0 * $1 }
        case .div: return { $0 / $1 }
        case .pow: return { F.powShim($0, $1) }
        }
    }

    private func integer(_ x: Int64, _ y: Int64) -> Int64 {
        switch operation {
        case .add: return x &+ y
        case .sub: return x &- y
        case .mul: return x &* y
        case .div: return y == 0 ? 0 : x.dividedReportingOverflow(by: y).partialValue
        case .pow: return saturatingInt64(Foundation.pow(Double(x), Double(y)))
        }
    }
}

func broadcastShape(_ a: [Int], _ b: [Int]) throws(InferenceError) -> [Int] {
    let rank = max(a.count, b.count)
    var shape = [Int](repeating: 1, count: rank)
    for i in 0..<rank {
        let x = i - (rank - a.count) >= 0 ? a[i - (rank - a.count)] : 1
        let y = i - (rank - b.count) >= 0 ? b[i - (rank - b.count)] : 1
        guard x == y || x == 1 || y == 1 else {
            throw InferenceError(.invalidInput, "shapes \(a) and \(b) cannot be broadcast together")
        }
        shape[i] = x == 1 ? y : x
    }
    return shape
}

/// Applies `f` over the broadcast of `a` and `b`. Same-shape, scalar and trailing-row cases take
/// direct loops; the rest walks the output with per-operand strides (0 on broadcast axes).
func broadcast<T, U, R>(
    _ a: [T], _ aShape: [Int], _ b: [U], _ bShape: [Int], _ shape: [Int], _ f: (T, U) -> R
) throws(InferenceError) -> [R] {
    let count = try elementCount(shape)
    if count == 0 { return [] }
    if a.count == count && b.count == count { return zip(a, b).map(f) }
    if b.count == 1 && a.count == count { let y = b[0]; return a.map { f($0, y) } }
    if a.count == 1 && b.count == count { let x = a[0]; return b.map { f(x, $0) } }
    if a.count == count, b.count > 0, shape.suffix(bShape.count).elementsEqual(bShape) {
        let width = b.count
        return (0..<count).map { f(a[$0], b[$0 % width]) }
    }
    let rank = shape.count
    func strides(_ operand: [Int]) -> [Int] {
        var result = [Int](repeating: 0, count: rank)
        var step = 1
        for i in stride(from: operand.count - 1, through: 0, by: -1) {
            let axis = i + rank - operand.count
            result[axis] = operand[i] == 1 ? 0 : step
            step *= operand[i]
        }
        return result
    }
    let aStrides = strides(aShape)
    let bStrides = strides(bShape)
    var index = [Int](repeating: 0, count: rank)
    var aOffset = 0
    var bOffset = 0
    var result: [R] = []
    result.reserveCapacity(count)
    for _ in 0..<count {
        result.append(f(a[aOffset], b[bOffset]))
        var axis = rank - 1
        while axis >= 0 {
            index[axis] += 1
            aOffset += aStrides[axis]
            bOffset += bStrides[axis]
            if index[axis] < shape[axis] { break }
            aOffset -= aStrides[axis] * index[axis]
            bOffset -= bStrides[axis] * index[axis]
            index[axis] = 0
            axis -= 1
        }
    }
    return result
}

/// Clip: bounds from attributes before opset 11, from optional inputs since.
struct ClipKernel: ONNXKernel {
    let attributeMin: Float?
    let attributeMax: Float?

    func run(_ inputs: [Value?]) throws(InferenceError) -> [Value] {
        let x = try tensor(inputs, 0)
        let low = try optionalTensor(inputs, 1)
        let high = try optionalTensor(inputs, 2)
        switch x.elements {
        case .float(let values):
            let lo = try low.map { t throws(InferenceError) in try scalar(t.floatValues("min")) } ?? attributeMin ?? -.infinity
            let hi = try high.map { t throws(InferenceError) in try scalar(t.floatValues("max")) } ?? attributeMax ?? .infinity
            return [.tensor(Tensor(unchecked: x.shape, .float(values.map { $0.isNaN ? $0 : Swift.min(Swift.max($0, lo), hi) })))]
        case .double(let values):
            let lo = try low.map { t throws(InferenceError) in try scalar(t.doubleValues("min")) } ?? attributeMin.map(Double.init) ?? -.infinity
            let hi = try high.map { t throws(InferenceError) in try scalar(t.doubleValues("max")) } ?? attributeMax.map(Double.init) ?? .infinity
            return [.tensor(Tensor(unchecked: x.shape, .double(values.map { $0.isNaN ? $0 : Swift.min(Swift.max($0, lo), hi) })))]
        case .int64(let values):
            let lo = try low.map { t throws(InferenceError) in try scalar(t.int64Values("min")) } ?? Int64.min
            let hi = try high.map { t throws(InferenceError) in try scalar(t.int64Values("max")) } ?? Int64.max
            return [.tensor(Tensor(unchecked: x.shape, .int64(values.map { Swift.min(Swift.max($0, lo), hi) })))]
        default:
            throw InferenceError(.invalidInput, "Clip needs a numeric tensor, got \(x.elementType)")
        }
    }

    private func scalar<T>(_ values: [T]) throws(InferenceError) -> T {
        guard values.count == 1 else { throw InferenceError(.invalidInput, "Clip bounds must be scalars") }
        return values[0]
    }
}
