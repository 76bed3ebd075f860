import Foundation

/// The score transforms of the ONNX-ML classifiers and regressors, computed the way onnxruntime
/// computes them in float so probabilities agree to the last bits that matter.
enum PostTransform: String, CaseIterable, Sendable {
    case none = "NONE", softmax = "SOFTMAX", logistic = "LOGISTIC", softmaxZero = "SOFTMAX_ZERO", probit = "PROBIT"

    static func parse(_ context: ONNXNodeContext) throws(InferenceError) -> PostTransform {
        let name = try context.string("post_transform", default: "NONE")
        guard let transform = PostTransform(rawValue: name) else {
            throw context.unsupported("post_transform '\(name)' is not supported; supported: \(allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return transform
    }

    /// Transforms a row-major [rows, width] block of scores in place. The element-wise transforms run
    /// as one flat loop; the softmaxes row by row.
    func apply(_ scores: UnsafeMutableBufferPointer<Float>, rows: Int, width: Int) {
        switch self {
        case .none: return
        case .logistic:
            for i in 0..<(rows * width) { scores[i] = logisticScore(scores[i]) }
        case .probit:
            for i in 0..<(rows * width) { scores[i] = probitScore(scores[i]) }
        case .softmax, .softmaxZero:
            for r in 0..<rows {
                apply(UnsafeMutableBufferPointer(rebasing: scores[(r * width)..<((r + 1) * width)]))
            }
        }
    }

    /// Transforms one row of scores in place.
    func apply(_ row: UnsafeMutableBufferPointer<Float>) {
        switch self {
        case .none: return
        case .logistic: for i in row.indices { row[i] = logisticScore(row[i]) }
        case .probit: for i in row.indices { row[i] = probitScore(row[i]) }
        case .softmax:
            var peak = -Float.infinity
            for v in row where v > peak { peak = v }
            var sum: Float = 0
            for i in row.indices { row[i] = expf(row[i] - peak); sum += row[i] }
            for i in row.indices { row[i] /= sum }
        case .softmaxZero:
            var peak = -Float.infinity
            for v in row where v > peak { peak = v }
            var sum: Float = 0
            for i in row.indices {
                if row[i] > 0.0000001 || row[i] < -0.0000001 {
                    row[i] = expf(row[i] - peak)
                    sum += row[i]
                } else {
                    row[i] = 0
                }
            }
            for i in row.indices { row[i] = sum == 0 ? 0.5 : row[i] / sum }
        }
    }
}

/// σ(x) evaluated on |x| and mirrored, as onnxruntime does.
@inline(__always)
func logisticScore(_ x: Float) -> Float {
    let v = 1 / (1 + expf(-abs(x)))
    return x < 0 ? 1 - v : v
}

/// √2 · erfinv(2p − 1) with Winitzki's closed-form erfinv approximation (a = 0.147), the same
/// approximation onnxruntime uses, so PROBIT outputs agree with it rather than with an exact erfinv.
func probitScore(_ p: Float) -> Float {
    let x = 2 * p - 1
    let sign: Float = x < 0 ? -1 : 1
    let oneMinusSquare = (1 - x) * (1 + x)
    let log = logf(oneMinusSquare)
    let a: Float = 0.147
    let first = 2 / (3.14159 * a) + 0.5 * log
    let second = 1 / a * log
    return 1.41421356 * sign * (-first + (first * first - second).squareRoot()).squareRoot()
}
