import Foundation

/// accuracy, precision, recall, f1, roc_auc, log_loss as scikit-learn 1.9.1 computes them.
///
/// - Two classes or fewer (union of truth and predictions): binary, for `positiveLabel`; without one the
///   positive class is "1" for 0/1 labels, "true" for booleans, otherwise the greater label in
///   scikit-learn's order (numeric when all labels are numbers) — the class `roc_auc_score` and
///   `log_loss` treat as positive. More classes: precision, recall and F1 are macro averages over the
///   union of labels (`average='macro'`), ROC AUC is one-vs-rest macro over the classes in the truth.
/// - Zero division: precision with no positive prediction, recall with no positive truth and F1 with
///   neither are 0.0 (scikit-learn's `zero_division="warn"` default), with a note.
/// - ROC AUC is nil when the truth holds one class only; log loss clips probabilities to
///   [ε, 1−ε] with ε = 2.22e-16 and does not renormalise rows (as 1.9.1). Both are nil, with a note,
///   when no scores were given, a score is not finite, or (log loss) a score lies outside [0, 1].
///   In multiclass a class missing from a row's probabilities counts as probability 0.
public enum ClassificationQuality {
    public static let metricNames = ["accuracy", "precision", "recall", "f1", "roc_auc", "log_loss"]

    /// `positiveScores`: the probability (or any score, for ROC AUC) of the positive class per row.
    /// `classProbabilities`: per row, class label → probability (multiclass; in binary the positive
    /// label's entry is used when `positiveScores` is nil).
    public static func compute(truth rawTruth: [String], predicted rawPredicted: [String],
                               positiveScores: [Double]? = nil, classProbabilities: [[String: Double]]? = nil,
                               positiveLabel rawPositive: String? = nil) throws(QualityError) -> QualityMetrics {
        guard rawTruth.count == rawPredicted.count else {
            throw QualityError("The target has \(rawTruth.count) values but the prediction has \(rawPredicted.count); they must be aligned row by row.")
        }
        if let positiveScores, positiveScores.count != rawTruth.count {
            throw QualityError("There are \(positiveScores.count) scores for \(rawTruth.count) rows; give one score per row.")
        }
        let probabilities = classProbabilities.map { rows in
            rows.map { Dictionary($0.map { (LabelText.canonical($0.key), $0.value) }, uniquingKeysWith: { first, _ in first }) }
        }
        if let probabilities, probabilities.count != rawTruth.count {
            throw QualityError("There are \(probabilities.count) rows of class probabilities for \(rawTruth.count) rows; give one per row.")
        }
        let truth = rawTruth.map(LabelText.canonical)
        let predicted = rawPredicted.map(LabelText.canonical)
        var metrics = QualityMetrics()
        guard !truth.isEmpty else {
            for name in metricNames { metrics.set(name, nil) }
            metrics.notes.append("No labelled rows: no classification metric can be computed.")
            return metrics
        }
        let classes = LabelText.sorted(truth + predicted)
        let accuracy = Double(zip(truth, predicted).filter { $0 == $1 }.count) / Double(truth.count)
        metrics.set("accuracy", accuracy)

        if classes.count <= 2 {
            let positive = try positiveClass(classes: classes, requested: rawPositive.map(LabelText.canonical), notes: &metrics.notes)
            binary(truth: truth, predicted: predicted, positive: positive, into: &metrics)
            var scores = positiveScores
            if scores == nil, let probabilities {
                scores = probabilities.map { $0[positive] ?? 0 }
            }
            binaryScoreMetrics(truth: truth, positive: positive, scores: scores, into: &metrics)
        } else {
            macro(truth: truth, predicted: predicted, classes: classes, into: &metrics)
            multiclassScoreMetrics(truth: truth, probabilities: probabilities, hasPositiveScores: positiveScores != nil, into: &metrics)
        }
        return metrics
    }

    /// The positive class of a binary problem (see the type's documentation), recording the choice.
    static func positiveClass(classes: [String], requested: String?, notes: inout [String]) throws(QualityError) -> String {
        if let requested {
            if classes.count == 2, !classes.contains(requested) {
                throw QualityError("The positive label '\(requested)' is not one of the labels found (\(classes.joined(separator: ", "))). Pass one of them with --positive-label.")
            }
            return requested
        }
        let positive: String
        if Set(classes).isSubset(of: ["0", "1"]) {
            positive = "1"
        } else if Set(classes).isSubset(of: ["false", "true"]) {
            positive = "true"
        } else {
            positive = classes.last!
        }
        notes.append("Positive label: '\(positive)' (default; choose another with --positive-label / quality.positive_label).")
        return positive
    }

    private static func binary(truth: [String], predicted: [String], positive: String, into metrics: inout QualityMetrics) {
        let counts = ClassCounts(truth: truth, predicted: predicted, label: positive)
        let precision = counts.precision, recall = counts.recall, f1 = counts.f1
        metrics.set("precision", precision ?? 0, note: precision == nil
            ? "precision: no row was predicted '\(positive)'; 0.0 as scikit-learn's zero_division default." : nil)
        metrics.set("recall", recall ?? 0, note: recall == nil
            ? "recall: no row has the target '\(positive)'; 0.0 as scikit-learn's zero_division default." : nil)
        metrics.set("f1", f1 ?? 0, note: f1 == nil
            ? "f1: '\(positive)' is neither predicted nor in the target; 0.0 as scikit-learn's zero_division default." : nil)
    }

    private static func macro(truth: [String], predicted: [String], classes: [String], into metrics: inout QualityMetrics) {
        let perClass = classes.map { ClassCounts(truth: truth, predicted: predicted, label: $0) }
        func average(_ name: String, _ value: (ClassCounts) -> Double?, _ why: String) {
            let undefined = zip(classes, perClass).filter { value($0.1) == nil }.map(\.0)
            let mean = perClass.map { value($0) ?? 0 }.reduce(0, +) / Double(classes.count)
            metrics.set(name, mean, note: undefined.isEmpty ? nil
                : "\(name): \(why) for \(undefined.map { "'\($0)'" }.joined(separator: ", ")); counted as 0.0 in the macro average (scikit-learn's zero_division default).")
        }
        average("precision", \.precision, "no row predicted")
        average("recall", \.recall, "no row in the target")
        average("f1", \.f1, "neither predicted nor in the target")
        metrics.notes.append("precision, recall, f1: macro average over \(classes.count) classes.")
    }

    private static func binaryScoreMetrics(truth: [String], positive: String, scores: [Double]?, into metrics: inout QualityMetrics) {
        guard let scores else {
            metrics.set("roc_auc", nil, note: "roc_auc, log_loss: no score column; pass the positive-class probability with --score.")
            metrics.set("log_loss", nil)
            return
        }
        guard scores.allSatisfy(\.isFinite) else {
            metrics.set("roc_auc", nil, note: "roc_auc, log_loss: a score is missing or not finite.")
            metrics.set("log_loss", nil)
            return
        }
        let isPositive = truth.map { $0 == positive }
        if let auc = RankStatistics.rocAUC(scores: scores, isPositive: isPositive) {
            metrics.set("roc_auc", auc)
        } else {
            metrics.set("roc_auc", nil, note: "roc_auc: the target holds only one class; ROC AUC is not defined.")
        }
        guard scores.allSatisfy({ (0...1).contains($0) }) else {
            metrics.set("log_loss", nil, note: "log_loss: scores outside [0, 1] are not probabilities.")
            return
        }
        let loss = zip(isPositive, scores).map { positiveRow, p in
            -log(clipped(positiveRow ? p : 1 - p))
        }.reduce(0, +) / Double(scores.count)
        metrics.set("log_loss", loss)
    }

    private static func multiclassScoreMetrics(truth: [String], probabilities: [[String: Double]]?, hasPositiveScores: Bool,
                                               into metrics: inout QualityMetrics) {
        guard let probabilities else {
            let why = hasPositiveScores ? "a single score column is not enough for more than two classes" : "no score columns"
            metrics.set("roc_auc", nil, note: "roc_auc, log_loss: \(why); pass one probability column per class (--score CLASS=COLUMN).")
            metrics.set("log_loss", nil)
            return
        }
        let values = probabilities.flatMap(\.values)
        guard values.allSatisfy({ $0.isFinite && (0...1).contains($0) }) else {
            metrics.set("roc_auc", nil, note: "roc_auc, log_loss: a class probability is missing, not finite or outside [0, 1].")
            metrics.set("log_loss", nil)
            return
        }
        let truthClasses = LabelText.sorted(truth)
        if truthClasses.count < 2 {
            metrics.set("roc_auc", nil, note: "roc_auc: the target holds only one class; ROC AUC is not defined.")
        } else {
            let aucs = truthClasses.compactMap { label in
                RankStatistics.rocAUC(scores: probabilities.map { $0[label] ?? 0 }, isPositive: truth.map { $0 == label })
            }
            metrics.set("roc_auc", aucs.reduce(0, +) / Double(aucs.count))
            metrics.notes.append("roc_auc: one-vs-rest macro average over the \(truthClasses.count) classes of the target.")
        }
        let loss = zip(truth, probabilities).map { label, row in -log(clipped(row[label] ?? 0)) }.reduce(0, +) / Double(truth.count)
        metrics.set("log_loss", loss)
    }

    private static func clipped(_ p: Double) -> Double {
        min(max(p, Double.ulpOfOne), 1 - Double.ulpOfOne)
    }
}

/// One class's confusion counts; the ratios are nil where scikit-learn divides by zero.
struct ClassCounts {
    var truePositives = 0, falsePositives = 0, falseNegatives = 0

    init(truth: [String], predicted: [String], label: String) {
        for (actual, guess) in zip(truth, predicted) {
            let isActual = actual == label, isGuess = guess == label
            if isActual && isGuess { truePositives += 1 } else if isGuess { falsePositives += 1 } else if isActual { falseNegatives += 1 }
        }
    }

    var precision: Double? { ratio(truePositives, truePositives + falsePositives) }
    var recall: Double? { ratio(truePositives, truePositives + falseNegatives) }
    var f1: Double? { ratio(2 * truePositives, 2 * truePositives + falsePositives + falseNegatives) }

    private func ratio(_ numerator: Int, _ denominator: Int) -> Double? {
        denominator == 0 ? nil : Double(numerator) / Double(denominator)
    }
}
