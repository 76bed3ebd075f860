/// The dense products behind LinearClassifier, LinearRegressor, Gemm and MatMul. Every product is
/// computed as dot products of contiguous rows (A's rows against Bᵀ's rows), eight lanes at a time, so a
/// batch of N rows runs as one tight loop over memory the caches already hold instead of N scalar passes.
typealias DenseScalar = BinaryFloatingPoint & SIMDScalar

/// Σ a[i]·b[i] for `count` contiguous elements. Two eight-lane accumulators keep consecutive additions
/// independent (a single running sum would make every add wait for the previous one).
@inline(__always)
func denseDot<F: DenseScalar>(_ a: UnsafePointer<F>, _ b: UnsafePointer<F>, _ count: Int) -> F {
    let rawA = UnsafeRawPointer(a)
    let rawB = UnsafeRawPointer(b)
    let stride = MemoryLayout<F>.stride
    var i = 0
    var first = SIMD8<F>()
    var second = SIMD8<F>()
    while i + 16 <= count {
        first += rawA.loadUnaligned(fromByteOffset: i * stride, as: SIMD8<F>.self)
            * rawB.loadUnaligned(fromByteOffset: i * stride, as: SIMD8<F>.self)
        second += rawA.loadUnaligned(fromByteOffset: (i + 8) * stride, as: SIMD8<F>.self)
            * rawB.loadUnaligned(fromByteOffset: (i + 8) * stride, as: SIMD8<F>.self)
        i += 16
    }
    if i + 8 <= count {
        first += rawA.loadUnaligned(fromByteOffset: i * stride, as: SIMD8<F>.self)
            * rawB.loadUnaligned(fromByteOffset: i * stride, as: SIMD8<F>.self)
        i += 8
    }
    var quarter = SIMD4<F>()
    if i + 4 <= count {
        quarter = rawA.loadUnaligned(fromByteOffset: i * stride, as: SIMD4<F>.self)
            * rawB.loadUnaligned(fromByteOffset: i * stride, as: SIMD4<F>.self)
        i += 4
    }
    let lanes = first + second
    var sum = (lanes.lowHalf + lanes.highHalf + quarter).sum()
    while i < count {
        sum += a[i] * b[i]
        i += 1
    }
    return sum
}

/// out[r·n + j] = Σₚ a[r·k + p] · bT[j·k + p] (+ bias[j]) for r < m, j < n: row-major A [m, k] times the
/// transpose of row-major Bᵀ [n, k]. `out` holds m·n elements; `bias`, when given, n.
func denseRowsTimesTransposed<F: DenseScalar>(
    _ a: UnsafePointer<F>, rows m: Int, depth k: Int,
    _ bT: UnsafePointer<F>, columns n: Int,
    bias: UnsafePointer<F>?, into out: UnsafeMutablePointer<F>
) {
    for r in 0..<m {
        let row = a + r * k
        let target = out + r * n
        if let bias {
            for j in 0..<n { target[j] = denseDot(row, bT + j * k, k) + bias[j] }
        } else {
            for j in 0..<n { target[j] = denseDot(row, bT + j * k, k) }
        }
    }
}

/// The transpose of a row-major [rows, columns] matrix.
func denseTransposed<F: DenseScalar>(_ values: UnsafeBufferPointer<F>, rows: Int, columns: Int) -> [F] {
    [F](unsafeUninitializedCapacity: rows * columns) { out, initialized in
        for r in 0..<rows {
            for c in 0..<columns { out[c * rows + r] = values[r * columns + c] }
        }
        initialized = rows * columns
    }
}

/// Row-major op(A) [m, k] × op(B) [k, n], where op transposes when asked. Whatever the flags, the work
/// is rows of A against rows of Bᵀ; an operand not already in that layout is transposed once (k·n or
/// m·k moves, small next to the m·k·n multiply-adds).
func denseMultiply<F: DenseScalar>(_ a: [F], _ b: [F], m: Int, k: Int, n: Int,
                                   transposeA: Bool = false, transposeB: Bool = false) -> [F] {
    let rowsOfA = transposeA ? a.withUnsafeBufferPointer { denseTransposed($0, rows: k, columns: m) } : a
    let rowsOfBT = transposeB ? b : b.withUnsafeBufferPointer { denseTransposed($0, rows: k, columns: n) }
    return [F](unsafeUninitializedCapacity: m * n) { out, initialized in
        if let target = out.baseAddress, m * n > 0 {
            rowsOfA.withUnsafeBufferPointer { a in
                rowsOfBT.withUnsafeBufferPointer { bT in
                    if let a = a.baseAddress, let bT = bT.baseAddress {
                        denseRowsTimesTransposed(a, rows: m, depth: k, bT, columns: n, bias: nil, into: target)
                    } else {
                        // k == 0: every entry is an empty sum.
                        target.initialize(repeating: 0, count: m * n)
                    }
                }
            }
        }
        initialized = m * n
    }
}
