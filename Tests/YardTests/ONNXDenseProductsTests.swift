import Testing
@testable import YardServing

/// The SIMD products against a plain triple loop, over depths that exercise every tail of the
/// eight-lane loop (0 to 40) and all four transpose combinations.
@Suite("ONNX evaluator dense products")
struct ONNXDenseProductsTests {
    private func reference(_ a: [Double], _ b: [Double], m: Int, k: Int, n: Int, transposeA: Bool, transposeB: Bool) -> [Double] {
        var out = [Double](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var sum = 0.0
                for p in 0..<k {
                    sum += (transposeA ? a[p * m + i] : a[i * k + p]) * (transposeB ? b[j * k + p] : b[p * n + j])
                }
                out[i * n + j] = sum
            }
        }
        return out
    }

    /// Deterministic values in [-1, 1) that differ per element, so a misplaced index shows.
    private func values(_ count: Int, seed: Int) -> [Double] {
        (0..<count).map { Double(($0 * 7919 + seed * 104_729) % 2003) / 1001.5 - 1 }
    }

    @Test(arguments: [0, 1, 3, 4, 7, 8, 9, 15, 16, 17, 20, 23, 24, 31, 32, 40])
    func matchesTheTripleLoopAtEveryDepth(depth k: Int) {
        for (m, n) in [(1, 1), (5, 2), (3, 7), (17, 3)] {
            for transposeA in [false, true] {
                for transposeB in [false, true] {
                    let a = values(m * k, seed: k + m)
                    let b = values(k * n, seed: k + n + 1)
                    let expected = reference(a, b, m: m, k: k, n: n, transposeA: transposeA, transposeB: transposeB)
                    let doubles = denseMultiply(a, b, m: m, k: k, n: n, transposeA: transposeA, transposeB: transposeB)
                    let floats = denseMultiply(a.map { Float($0) }, b.map { Float($0) }, m: m, k: k, n: n,
                                               transposeA: transposeA, transposeB: transposeB)
                    #expect(doubles.count == m * n && floats.count == m * n)
                    for i in expected.indices {
                        #expect(abs(doubles[i] - expected[i]) < 1e-12, "double [\(m)x\(k)]·[\(k)x\(n)] entry \(i), tA \(transposeA) tB \(transposeB)")
                        #expect(abs(Double(floats[i]) - expected[i]) < 1e-5, "float [\(m)x\(k)]·[\(k)x\(n)] entry \(i), tA \(transposeA) tB \(transposeB)")
                    }
                }
            }
        }
    }

    @Test func biasIsAddedPerColumn() {
        let x: [Float] = [1, 2, 3, 4, 5, 6]          // 2 rows × 3 features
        let w: [Float] = [1, 0, 0, 0, 1, 1]          // 2 outputs × 3 features
        let bias: [Float] = [10, -10]
        var out = [Float](repeating: .nan, count: 4)
        x.withUnsafeBufferPointer { x in
            w.withUnsafeBufferPointer { w in
                bias.withUnsafeBufferPointer { bias in
                    out.withUnsafeMutableBufferPointer { out in
                        denseRowsTimesTransposed(x.baseAddress!, rows: 2, depth: 3, w.baseAddress!, columns: 2,
                                                 bias: bias.baseAddress, into: out.baseAddress!)
                    }
                }
            }
        }
        #expect(out == [11, -5, 14, 1])
    }
}
