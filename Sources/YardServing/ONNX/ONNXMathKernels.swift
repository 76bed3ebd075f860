/// Matrix products and reductions over an axis.
struct MatMulKernel: ONNXKernel {
    func run(_ inputs: [Value?]) throws(InferenceError) -> [Value] {
        let a = try tensor(inputs, 0)
        let b = try tensor(inputs, 1)
        guard a.rank >= 1, b.rank >= 1, b.rank <= 2 else {
            throw InferenceError(.invalidInput, "MatMul supports a rank ≥ 1 tensor times a vector or matrix, got \(a.shape) × \(b.shape)")
        }
        let k = a.shape[a.rank - 1]
        let bRows = b.shape[0]
        let n = b.rank == 2 ? b.shape[1] : 1
        guard k == bRows else { throw InferenceError(.invalidInput, "MatMul shapes \(a.shape) and \(b.shape) do not line up") }
        let m = a.shape.dropLast().reduce(1, *)
        var shape = Array(a.shape.dropLast())
        if b.rank == 2 { shape.append(n) }
        switch (a.elements, b.elements) {
        case (.float(let x), .float(let y)):
            return [.tensor(Tensor(unchecked: shape, .float(denseMultiply(x, y, m: m, k: k, n: n))))]
        case (.double(let x), .double(let y)):
            return [.tensor(Tensor(unchecked: shape, .double(denseMultiply(x, y, m: m, k: k, n: n))))]
        default:
            throw InferenceError(.invalidInput, "MatMul needs two float or two double tensors, got \(a.elementType) and \(b.elementType)")
        }
    }
}

struct GemmKernel: ONNXKernel {
    let alpha: Double
    let beta: Double
    let transposeA: Bool
    let transposeB: Bool

    func run(_ inputs: [Value?]) throws(InferenceError) -> [Value] {
        let a = try tensor(inputs, 0)
        let b = try tensor(inputs, 1)
        let c = try optionalTensor(inputs, 2)
        guard a.rank == 2, b.rank == 2 else { throw InferenceError(.invalidInput, "Gemm needs matrices, got \(a.shape) and \(b.shape)") }
        let (m, k) = transposeA ? (a.shape[1], a.shape[0]) : (a.shape[0], a.shape[1])
        let (kb, n) = transposeB ? (b.shape[1], b.shape[0]) : (b.shape[0], b.shape[1])
        guard k == kb else { throw InferenceError(.invalidInput, "Gemm shapes \(a.shape) and \(b.shape) do not line up") }
        switch (a.elements, b.elements) {
        case (.float(let x), .float(let y)):
            let bias = try c?.floatValues("Gemm C")
            return [.tensor(Tensor(unchecked: [m, n], .float(try finish(denseMultiply(x, y, m: m, k: k, n: n, transposeA: transposeA, transposeB: transposeB), bias, c?.shape, m, n))))]
        case (.double(let x), .double(let y)):
            let bias = try c?.doubleValues("Gemm C")
            return [.tensor(Tensor(unchecked: [m, n], .double(try finish(denseMultiply(x, y, m: m, k: k, n: n, transposeA: transposeA, transposeB: transposeB), bias, c?.shape, m, n))))]
        default:
            throw InferenceError(.invalidInput, "Gemm needs float or double matrices, got \(a.elementType) and \(b.elementType)")
        }
    }

    private func finish<F: BinaryFloatingPoint>(_ product: consuming [F], _ bias: [F]?, _ biasShape: [Int]?, _ m: Int, _ n: Int) throws(InferenceError) -> [F] {
        let a = F(alpha)
        guard let bias, let biasShape else { return alpha == 1 ? product : product.map { $0 * a } }
        let b = F(beta)
        if alpha == 1, beta == 1, bias.count == n, n > 0, biasShape.last == n, m * n == product.count {
            // The usual layer bias, one value per output column: added in place.
            product.withUnsafeMutableBufferPointer { out in
                bias.withUnsafeBufferPointer { bias in
                    for r in 0..<m {
                        for j in 0..<n { out[r * n + j] += bias[j] }
                    }
                }
            }
            return product
        }
        return try broadcast(product, [m, n], bias, biasShape, [m, n]) { $0 * a + $1 * b }
    }
}

/// The axis an operator reduces over, as outer × size × inner blocks.
struct AxisBlocks {
    let outer: Int
    let size: Int
    let inner: Int

    init(shape: [Int], axis: Int) {
        outer = shape[..<axis].reduce(1, *)
        size = axis < shape.count ? shape[axis] : 1
        inner = axis < shape.count ? shape[(axis + 1)...].reduce(1, *) : 1
    }
}

struct SoftmaxKernel: ONNXKernel {
    let axis: Int
    /// Before opset 13 Softmax flattens everything from `axis` on into one axis.
    let coercesTo2D: Bool

    func run(_ inputs: [Value?]) throws(InferenceError) -> [Value] {
        let x = try tensor(inputs, 0)
        let resolved = try normalizedAxis(axis, rank: x.rank, "Softmax")
        let blocks = coercesTo2D
            ? AxisBlocks(shape: [x.shape[..<resolved].reduce(1, *), x.shape[resolved...].reduce(1, *)], axis: 1)
            : AxisBlocks(shape: x.shape, axis: resolved)
        switch x.elements {
        case .float(let v): return [.tensor(Tensor(unchecked: x.shape, .float(softmax(v, blocks))))]
        case .double(let v): return [.tensor(Tensor(unchecked: x.shape, .double(softmax(v, blocks))))]
        default: throw InferenceError(.invalidInput, "Softmax needs a float or double tensor, got \(x.elementType)")
        }
    }

    private func softmax<F: BinaryFloatingPoint & ElementaryFunctionsShim>(_ values: [F], _ blocks: AxisBlocks) -> [F] {
        var out = values
        for o in 0..<blocks.outer {
            for i in 0..<blocks.inner {
                let base = o * blocks.size * blocks.inner + i
                var peak = -F.infinity
                for s in 0..<blocks.size { peak = Swift.max(peak, values[base + s * blocks.inner]) }
                var sum: F = 0
                for s in 0..<blocks.size {
                    let e = F.expShim(values[base + s * blocks.inner] - peak)
                    out[base + s * blocks.inner] = e
                    sum += e
                }
                for s in 0..<blocks.size { out[base + s * blocks.inner] /= sum }
            }
        }
        return out
    }
}

struct ArgMaxKernel: ONNXKernel {
    let axis: Int
    let keepDims: Bool
    let selectLast: Bool

    func run(_ inputs: [Value?]) throws(InferenceError) -> [Value] {
        let x = try tensor(inputs, 0)
        let resolved = try normalizedAxis(axis, rank: x.rank, "ArgMax")
        let values = try x.doubleValues("ArgMax input")
        let blocks = AxisBlocks(shape: x.shape, axis: resolved)
        guard blocks.size > 0 else { throw InferenceError(.invalidInput, "ArgMax over an empty axis") }
        var result: [Int64] = []
        result.reserveCapacity(blocks.outer * blocks.inner)
        for o in 0..<blocks.outer {
            for i in 0..<blocks.inner {
                let base = o * blocks.size * blocks.inner + i
                var best = 0
                var bestValue = values[base]
                for s in 1..<blocks.size {
                    let v = values[base + s * blocks.inner]
                    if v > bestValue || (selectLast && v == bestValue) { best = s; bestValue = v }
                }
                result.append(Int64(best))
            }
        }
        var shape = x.shape
        if keepDims { shape[resolved] = 1 } else { shape.remove(at: resolved) }
        return [.tensor(Tensor(unchecked: shape, .int64(result)))]
    }
}

struct ReduceSumKernel: ONNXKernel {
    /// nil since opset 13, where the axes come from input 1.
    let attributeAxes: [Int64]?
    let keepDims: Bool
    let noopWithEmptyAxes: Bool

    func run(_ inputs: [Value?]) throws(InferenceError) -> [Value] {
        let x = try tensor(inputs, 0)
        var axes = attributeAxes ?? []
        if attributeAxes == nil, let given = try optionalTensor(inputs, 1) { axes = try given.int64Values("ReduceSum axes") }
        if axes.isEmpty && noopWithEmptyAxes { return [.tensor(x)] }
        var reduced = Set<Int>()
        if axes.isEmpty { reduced = Set(0..<x.rank) } else {
            for axis in axes { reduced.insert(try normalizedAxis(Int(axis), rank: x.rank, "ReduceSum")) }
        }
        let outShapeKept = x.shape.enumerated().map { reduced.contains($0.offset) ? 1 : $0.element }
        let outCount = outShapeKept.reduce(1, *)
        // Output strides over the kept axes; reduced axes contribute 0.
        var strides = [Int](repeating: 0, count: x.rank)
        var step = 1
        for d in stride(from: x.rank - 1, through: 0, by: -1) {
            strides[d] = reduced.contains(d) ? 0 : step
            step *= outShapeKept[d]
        }
        func sum<T: AdditiveArithmetic>(_ values: [T], _ add: (T, T) -> T) -> [T] {
            var out = [T](repeating: .zero, count: outCount)
            var index = [Int](repeating: 0, count: x.rank)
            var offset = 0
            for value in values {
                out[offset] = add(out[offset], value)
                var d = x.rank - 1
                while d >= 0 {
                    index[d] += 1
                    offset += strides[d]
                    if index[d] < x.shape[d] { break }
                    offset -= strides[d] * index[d]
                    index[d] = 0
                    d -= 1
                }
            }
            return out
        }
        let shape = keepDims ? outShapeKept : x.shape.enumerated().filter { !reduced.contains($0.offset) }.map(\.element)
        switch x.elements {
        case .float(let v): return [.tensor(Tensor(unchecked: shape, .float(sum(v, +))))]
        case .double(let v): return [.tensor(Tensor(unchecked: shape, .double(sum(v, +))))]
        case .int64(let v): return [.tensor(Tensor(unchecked: shape, .int64(sum(v, &+))))]
        default: throw InferenceError(.invalidInput, "ReduceSum needs a numeric tensor, got \(x.elementType)")
        }
    }
}
