/// What a batch of model outputs says for monitoring: the predicted class of each row (classifiers) and
/// one score per row — the top class probability for a classifier, the value for a regressor.
public struct PredictionSummary: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case classifier, regressor, other
    }

    public var kind: Kind
    /// One label per row, classifiers only.
    public var classes: [String]
    public var scores: [Double]

    /// A classifier answers a label tensor (int64 or string, one per row) and usually scores (a map per
    /// row, or a float matrix); a regressor answers one number per row. Anything else is `other`.
    public static func of(_ outputs: [(name: String, value: Value)]) -> PredictionSummary {
        var labels: [String]?
        var probabilities: [Double]?
        var values: [Double]?
        for (_, value) in outputs {
            switch value {
            case .mapSequence(let maps):
                let width = maps.keys.count
                guard width > 0 else { continue }
                probabilities = (0..<maps.rows).map { row in
                    Double(maps.values[row * width..<(row + 1) * width].max() ?? 0)
                }
            case .tensor(let tensor):
                let rows = tensor.shape.first ?? 1
                let width = rows > 0 ? tensor.count / rows : 0
                switch tensor.elements {
                case .int64(let items) where labels == nil && width == 1:
                    labels = items.map { String($0) }
                case .string(let items) where labels == nil && width == 1:
                    labels = items
                case .bool(let items) where labels == nil && width == 1:
                    labels = items.map { $0 ? "true" : "false" }
                case .float(let items):
                    record(items.map(Double.init), rows: rows, width: width, probabilities: &probabilities, values: &values)
                case .double(let items):
                    record(items, rows: rows, width: width, probabilities: &probabilities, values: &values)
                default:
                    continue
                }
            }
        }
        if let labels {
            return PredictionSummary(kind: .classifier, classes: labels, scores: probabilities ?? [])
        }
        if let values { return PredictionSummary(kind: .regressor, classes: [], scores: values) }
        return PredictionSummary(kind: .other, classes: [], scores: [])
    }

    private static func record(_ items: [Double], rows: Int, width: Int, probabilities: inout [Double]?, values: inout [Double]?) {
        guard rows > 0, width > 0 else { return }
        if width == 1 {
            if values == nil { values = items }
        } else if probabilities == nil {
            probabilities = (0..<rows).map { row in items[row * width..<(row + 1) * width].max() ?? 0 }
        }
    }
}
