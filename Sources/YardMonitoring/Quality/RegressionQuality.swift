/// mae, rmse, mape, r2 as scikit-learn 1.9.1 computes them.
///
/// - mape: mean of |y − ŷ| / max(|y|, ε) with ε = 2.22e-16 (`mean_absolute_percentage_error`, a
///   fraction, not percent). When a true value is exactly 0 scikit-learn returns |y − ŷ|/ε, a
///   meaningless ~1e15; here mape is nil with a note instead.
/// - r2: when the truth is constant, 1.0 if the predictions are exact and 0.0 otherwise (scikit-learn's
///   `force_finite=True`), with a note; nil with fewer than two rows (scikit-learn returns NaN).
public enum RegressionQuality {
    public static let metricNames = ["mae", "rmse", "mape", "r2"]

    public static func compute(truth: [Double], predicted: [Double]) throws(QualityError) -> QualityMetrics {
        guard truth.count == predicted.count else {
            throw QualityError("The target has \(truth.count) values but the prediction has \(predicted.count); they must be aligned row by row.")
        }
        guard truth.allSatisfy(\.isFinite), predicted.allSatisfy(\.isFinite) else {
            throw QualityError("Regression metrics need finite numbers; drop rows whose target or prediction is missing, NaN or infinite.")
        }
        var metrics = QualityMetrics()
        guard !truth.isEmpty else {
            for name in metricNames { metrics.set(name, nil) }
            metrics.notes.append("No labelled rows: no regression metric can be computed.")
            return metrics
        }
        let count = Double(truth.count)
        let errors = zip(truth, predicted).map { $1 - $0 }
        metrics.set("mae", errors.map(abs).reduce(0, +) / count)
        let squaredError = errors.map { $0 * $0 }.reduce(0, +)
        metrics.set("rmse", (squaredError / count).squareRoot())
        if truth.contains(0) {
            metrics.set("mape", nil, note: "mape: the target contains 0, where the percentage error is undefined.")
        } else {
            let ratios = zip(errors, truth).map { abs($0) / max(abs($1), Double.ulpOfOne) }
            metrics.set("mape", ratios.reduce(0, +) / count)
        }
        if truth.count < 2 {
            metrics.set("r2", nil, note: "r2: needs at least two rows.")
        } else {
            let mean = truth.reduce(0, +) / count
            let totalSquares = truth.map { ($0 - mean) * ($0 - mean) }.reduce(0, +)
            if totalSquares == 0 {
                metrics.set("r2", squaredError == 0 ? 1 : 0,
                            note: "r2: the target is constant; \(squaredError == 0 ? "1.0 (exact predictions)" : "0.0") as scikit-learn's force_finite default.")
            } else {
                metrics.set("r2", 1 - squaredError / totalSquares)
            }
        }
        return metrics
    }
}
