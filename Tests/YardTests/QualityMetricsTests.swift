import Foundation
import Testing
import YardJSON
@testable import YardMonitoring

@Suite("Quality metrics")
struct QualityMetricsTests {
    private func approx(_ value: Double?, _ expected: Double, _ tolerance: Double = 1e-12) -> Bool {
        guard let value else { return false }
        return abs(value - expected) <= tolerance
    }

    @Test func binaryCountsAndScores() throws {
        // tp = 2 (rows 0, 1), fp = 1 (row 3), fn = 1 (row 2), tn = 2 (rows 4, 5).
        let truth = ["1", "1", "1", "0", "0", "0"]
        let predicted = ["1", "1", "0", "1", "0", "0"]
        let scores = [0.9, 0.6, 0.4, 0.6, 0.2, 0.1]
        let metrics = try ClassificationQuality.compute(truth: truth, predicted: predicted, positiveScores: scores)
        #expect(approx(metrics["accuracy"], 4.0 / 6))
        #expect(approx(metrics["precision"], 2.0 / 3))
        #expect(approx(metrics["recall"], 2.0 / 3))
        #expect(approx(metrics["f1"], 2.0 / 3))
        // Positive/negative pairs: 9; positive above negative in 7, one tie (0.6 vs 0.6) counts half.
        #expect(approx(metrics["roc_auc"], 7.5 / 9))
        let expectedLoss = -(log(0.9) + log(0.6) + log(0.4) + log(0.4) + log(0.8) + log(0.9)) / 6
        #expect(approx(metrics["log_loss"], expectedLoss))
    }

    @Test func logLossClipsCertainWrongAnswers() throws {
        let metrics = try ClassificationQuality.compute(truth: ["1", "0"], predicted: ["0", "0"], positiveScores: [0, 0])
        // -log(ε) / 2 for the first row, -log(1 - 0) = 0 for the second (1 is clipped to 1 - ε, log ≈ -1.1e-16).
        let expected = (-log(Double.ulpOfOne) - log(1 - Double.ulpOfOne)) / 2
        #expect(approx(metrics["log_loss"], expected, 1e-9))
        #expect(metrics["log_loss"]!.isFinite)
    }

    @Test func numericLabelsCompareAcrossFormats() throws {
        let metrics = try ClassificationQuality.compute(truth: ["1.0", "0", "True"], predicted: ["1", "0.0", "true"])
        #expect(metrics["accuracy"] == 1)
        #expect(LabelText.sorted(["10", "9", "2"]) == ["2", "9", "10"])
        #expect(LabelText.sorted(["b", "10", "a"]) == ["10", "a", "b"])
    }

    @Test func zeroDivisionIsZeroWithANote() throws {
        let metrics = try ClassificationQuality.compute(truth: ["0", "0", "1"], predicted: ["0", "0", "0"],
                                                        positiveScores: [0.2, 0.3, 0.4], positiveLabel: "1")
        #expect(metrics["precision"] == 0)
        #expect(metrics["f1"] == 0)
        #expect(metrics.notes.contains { $0.contains("precision") && $0.contains("zero_division") })
        #expect(approx(metrics["roc_auc"], 1))
    }

    @Test func oneClassLeavesROCAUCNil() throws {
        let metrics = try ClassificationQuality.compute(truth: ["no", "no"], predicted: ["no", "yes"],
                                                        positiveScores: [0.1, 0.7], positiveLabel: "yes")
        #expect(metrics["roc_auc"] == nil)
        #expect(metrics.entries.contains { $0.name == "roc_auc" && $0.value == nil })
        #expect(metrics.notes.contains { $0.contains("roc_auc") })
        #expect(metrics["log_loss"] != nil)
    }

    @Test func unknownPositiveLabelIsAnError() {
        #expect(throws: QualityError.self) {
            try ClassificationQuality.compute(truth: ["a", "b"], predicted: ["a", "a"], positiveLabel: "c")
        }
        #expect(throws: QualityError.self) {
            try ClassificationQuality.compute(truth: ["a", "b"], predicted: ["a"])
        }
    }

    @Test func multiclassMacroAndOneVsRest() throws {
        let truth = ["a", "a", "b", "b", "c", "c"]
        let predicted = ["a", "b", "b", "b", "c", "a"]
        let probabilities: [[String: Double]] = [
            ["a": 0.7, "b": 0.2, "c": 0.1], ["a": 0.3, "b": 0.6, "c": 0.1], ["a": 0.1, "b": 0.8, "c": 0.1],
            ["a": 0.2, "b": 0.5, "c": 0.3], ["a": 0.1, "b": 0.1, "c": 0.8], ["a": 0.5, "b": 0.1, "c": 0.4],
        ]
        let metrics = try ClassificationQuality.compute(truth: truth, predicted: predicted, classProbabilities: probabilities)
        // Per class precision a 1/2, b 2/3, c 1; recall a 1/2, b 1, c 1/2.
        #expect(approx(metrics["precision"], (0.5 + 2.0 / 3 + 1) / 3))
        #expect(approx(metrics["recall"], (0.5 + 1 + 0.5) / 3))
        let f1 = [2.0 / 4, 4.0 / 5, 2.0 / 3]
        #expect(approx(metrics["f1"], f1.reduce(0, +) / 3))
        let aucA = RankStatistics.rocAUC(scores: probabilities.map { $0["a"]! }, isPositive: truth.map { $0 == "a" })!
        let aucB = RankStatistics.rocAUC(scores: probabilities.map { $0["b"]! }, isPositive: truth.map { $0 == "b" })!
        let aucC = RankStatistics.rocAUC(scores: probabilities.map { $0["c"]! }, isPositive: truth.map { $0 == "c" })!
        #expect(approx(metrics["roc_auc"], (aucA + aucB + aucC) / 3))
        #expect(approx(aucA, 7.0 / 8))
        let loss = -[0.7, 0.3, 0.8, 0.5, 0.8, 0.4].map { log($0) }.reduce(0, +) / 6
        #expect(approx(metrics["log_loss"], loss))
    }

    @Test func regressionMetrics() throws {
        let metrics = try RegressionQuality.compute(truth: [1, 2, 4, 8], predicted: [2, 2, 3, 10])
        #expect(approx(metrics["mae"], 1))
        #expect(approx(metrics["rmse"], (6.0 / 4).squareRoot()))
        #expect(approx(metrics["mape"], (1.0 + 0 + 0.25 + 0.25) / 4))
        // mean 3.75; total squares 2.75² + 1.75² + 0.25² + 4.25² = 28.75.
        #expect(approx(metrics["r2"], 1 - 6 / 28.75))
    }

    @Test func regressionUndefinedCases() throws {
        let zero = try RegressionQuality.compute(truth: [0, 1], predicted: [1, 1])
        #expect(zero["mape"] == nil)
        #expect(zero.notes.contains { $0.contains("mape") })
        let constant = try RegressionQuality.compute(truth: [3, 3, 3], predicted: [3, 4, 3])
        #expect(constant["r2"] == 0)
        let exact = try RegressionQuality.compute(truth: [3, 3], predicted: [3, 3])
        #expect(exact["r2"] == 1)
        let empty = try RegressionQuality.compute(truth: [], predicted: [])
        #expect(empty.entries.allSatisfy { $0.value == nil } && empty.entries.count == 4)
        #expect(throws: QualityError.self) { try RegressionQuality.compute(truth: [.nan], predicted: [1]) }
    }

    @Test func fairnessGroupsAndGaps() throws {
        // Group A: 4 rows, 3 selected; truth positives rows 0,1 (both selected) → TPR 1, negatives rows 2,3 (1 selected) → FPR 0.5.
        // Group B: 4 rows, 1 selected; positives rows 4,5 (one selected) → TPR 0.5, negatives 6,7 (none) → FPR 0.
        let sensitive = ["A", "A", "A", "A", "B", "B", "B", "B"]
        let predicted = ["1", "1", "1", "0", "1", "0", "0", "0"]
        let truth = ["1", "1", "0", "0", "1", "1", "0", "0"]
        let report = try Fairness.compute(column: "g", sensitive: sensitive, predicted: predicted, truth: truth, positiveLabel: "1")
        #expect(report.groups.map(\.group) == ["A", "B"])
        #expect(report.groups.map(\.selectionRate) == [0.75, 0.25])
        #expect(approx(report.demographicParityDifference, 0.5))
        #expect(approx(report.disparateImpactRatio, 0.25 / 0.75))
        #expect(approx(report.equalizedOddsDifference, 0.5))
        let privileged = try Fairness.compute(column: "g", sensitive: sensitive, predicted: predicted, truth: nil,
                                              positiveLabel: "1", privileged: "B")
        #expect(approx(privileged.disparateImpactRatio, 0.75 / 0.25))
        #expect(privileged.equalizedOddsDifference == nil)
        #expect(throws: QualityError.self) {
            try Fairness.compute(column: "g", sensitive: sensitive, predicted: predicted, truth: nil, positiveLabel: "1", privileged: "C")
        }
    }

    @Test func fairnessWithoutPositivePredictions() throws {
        let report = try Fairness.compute(column: "g", sensitive: ["A", "B"], predicted: ["0", "0"], truth: ["0", "0"], positiveLabel: "1")
        #expect(report.disparateImpactRatio == nil)
        #expect(report.demographicParityDifference == 0)
        #expect(report.notes.contains { $0.contains("disparate_impact_ratio") })
        #expect(report.notes.contains { $0.contains("TPR") })
    }

    @Test func readsQuotedCSVAndEvaluates() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("quality-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("scored.csv").path
        let csv = "id,label,\"pred, final\",score,group\r\n1,yes,yes,0.9,\"A \"\"x\"\"\"\r\n2,no,yes,0.6,B\r\n3,,no,0.2,B\r\n4,no,no,NaN,A \"x\"\r\n"
        try Data(csv.utf8).write(to: URL(fileURLWithPath: path))
        let table = try LabeledTable.read(path: path, columns: ["label", "pred, final", "group"])
        #expect(table.rowCount == 4)
        #expect(table.columns["label"]! == [.text("yes"), .text("no"), .missing, .text("no")])
        #expect(table.columns["group"]![0] == .text("A \"x\""))
        let report = try QualityEvaluation.run(path: path, options: QualityOptions(
            target: "label", prediction: "pred, final", scores: ["score"], positiveLabel: "yes", sensitive: "group"))
        #expect(report.rows == 4 && report.labeledRows == 3)
        #expect(approx(report.metrics["accuracy"], 2.0 / 3))
        #expect(report.metrics["roc_auc"] == nil)   // row 4's score is NaN
        #expect(report.fairness?.groups.map(\.group) == ["A \"x\"", "B"])
        #expect(throws: QualityError.self) {
            try QualityEvaluation.run(path: path, options: QualityOptions(target: "truth", prediction: "label"))
        }
    }

    @Test func readsJSONLinesWithProbabilityObjects() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("quality-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("log.jsonl").path
        let lines = [
            #"{"y": "a", "p": "a", "proba": {"a": 0.6, "b": 0.3, "c": 0.1}}"#,
            #"{"y": "b", "p": "c", "proba": {"a": 0.2, "b": 0.3, "c": 0.5}}"#,
            "",
            #"{"y": "c", "p": "c", "proba": {"a": 0.1, "b": 0.1, "c": 0.8}}"#,
            #"{"p": "a", "proba": {"a": 0.9, "b": 0.05, "c": 0.05}}"#,
        ]
        try Data(lines.joined(separator: "\n").utf8).write(to: URL(fileURLWithPath: path))
        let report = try QualityEvaluation.run(path: path, options: QualityOptions(target: "y", prediction: "p", scores: ["proba"]))
        #expect(report.task == .classification && report.rows == 4 && report.labeledRows == 3)
        #expect(approx(report.metrics["log_loss"], -(log(0.6) + log(0.3) + log(0.8)) / 3))
        let json = String(decoding: JSONWriter.bytes(report.json()), as: UTF8.self)
        #expect(json.contains(#""labeled_rows":3"#) && json.contains(#""roc_auc":"#))
    }

    @Test func inferredTask() {
        var notes: [String] = []
        #expect(QualityEvaluation.inferTask(target: [.number(1.5), .number(2)], prediction: [.number(1), .number(2)], notes: &notes) == .regression)
        #expect(QualityEvaluation.inferTask(target: [.number(1), .number(0)], prediction: [.number(1), .number(1)], notes: &notes) == .classification)
        #expect(QualityEvaluation.inferTask(target: [.text("x")], prediction: [.number(1)], notes: &notes) == .classification)
    }

    @Test func hostileTablesAreErrorsNotCrashes() throws {
        // A probabilities object where a class label belongs (a JSON-lines target cell {"a": 0.5}).
        let objects = LabeledTable(path: "t.jsonl", columnNames: ["y", "p"], rowCount: 2,
                                   columns: ["y": [.probabilities(["a": 0.5]), .text("b")], "p": [.text("a"), .text("b")]])
        #expect(throws: QualityError.self) {
            try QualityEvaluation.run(table: objects, options: QualityOptions(target: "y", prediction: "p", task: .classification))
        }
        // A column with more cells than rows (a repeated key in a live record) must not index past the others.
        let misaligned = LabeledTable(path: "window", columnNames: ["y", "p"], rowCount: 2,
                                      columns: ["y": [.text("a"), .text("b"), .text("a")], "p": [.text("a"), .text("b")]])
        #expect(throws: QualityError.self) {
            try QualityEvaluation.run(table: misaligned, options: QualityOptions(target: "y", prediction: "p"))
        }
        let missingColumn = LabeledTable(path: "window", columnNames: ["y"], rowCount: 1, columns: ["y": [.text("a")]])
        #expect(throws: QualityError.self) {
            try QualityEvaluation.run(table: missingColumn, options: QualityOptions(target: "y", prediction: "p"))
        }
    }
}
