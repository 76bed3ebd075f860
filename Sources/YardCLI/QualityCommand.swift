import ArgumentParser
import Foundation
import YardJSON
import YardMonitoring

struct QualityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quality",
        abstract: "Model quality and fairness from a file of predictions joined with their labels.",
        discussion: """
            Reads DATA (CSV, or JSON lines: .jsonl/.ndjson) row by row and compares the target column with the \
            prediction column. Classification: accuracy, precision, recall, f1 (binary for the positive label, \
            macro average with more than two classes), roc_auc and log_loss from --score columns. Regression: mae, \
            rmse, mape, r2. With --sensitive, fairness over that column's groups: demographic parity difference, \
            disparate impact ratio (lowest other group over --privileged, or min/max without it) and equalized \
            odds difference. Definitions follow scikit-learn 1.9.1 and Fairlearn; a metric that cannot be computed \
            is null and a note says why. Rows without a target or a prediction are left out.

            --score: one column is the positive-class probability (binary); with more classes give one column per \
            class, as CLASS=COLUMN or named after the class (proba_setosa). A JSON-lines column holding \
            {"class": probability} objects gives all classes at once.

            Examples:
              yard quality scored.csv --target churned --prediction predicted --score proba
              yard quality scored.csv --target churned --prediction predicted --positive-label yes --sensitive sex --privileged M
              yard quality iris.jsonl --target species --prediction label --score setosa=p0 --score versicolor=p1 --score virginica=p2
              yard quality prices.csv --target price --prediction estimate --task regression --json
            """)

    @Argument(help: "CSV or JSON-lines file with one row per prediction.")
    var data: String

    @Option(help: "Column holding the true label or value.")
    var target: String

    @Option(help: "Column holding the model's predicted label or value.")
    var prediction: String

    @Option(help: "classification or regression (default: inferred from the values).")
    var task: QualityTask?

    @Option(help: ArgumentHelp("Score column: COLUMN (binary: positive-class probability) or CLASS=COLUMN (repeat per class).", valueName: "column"))
    var score: [String] = []

    @Option(help: "The positive class (default: 1, true, or the greater of the two labels).")
    var positiveLabel: String?

    @Option(help: "Column of group membership for fairness metrics.")
    var sensitive: String?

    @Option(help: "The privileged group's value in --sensitive (disparate impact divides by its selection rate).")
    var privileged: String?

    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
        let options = QualityOptions(target: target, prediction: prediction, task: task, scores: score,
                                     positiveLabel: positiveLabel, sensitive: sensitive, privileged: privileged)
        let report: QualityReport
        do {
            report = try QualityEvaluation.run(path: data, options: options)
        } catch {
            Console.error("error: " + error.message)
            throw ExitCode.failure
        }
        if json {
            Console.line(String(decoding: JSONWriter.bytes(report.json()), as: UTF8.self))
        } else {
            Console.line(Self.text(report))
        }
    }

    static func text(_ report: QualityReport) -> String {
        func figure(_ value: Double?) -> String { value.map { String(format: "%.4f", $0) } ?? "-" }
        var lines = ["\(report.task.rawValue): \(report.labeledRows) labelled rows of \(report.rows)"
            + (report.positiveLabel.map { ", positive label '\($0)'" } ?? "")]
        lines.append("")
        lines.append(Console.table(["metric", "value"], report.metrics.entries.map { [$0.name, figure($0.value)] }, rule: false))
        if let fairness = report.fairness {
            lines.append("")
            lines.append("fairness over '\(Console.printable(fairness.column))'"
                + (fairness.privileged.map { " (privileged: '\(Console.printable($0))')" } ?? ""))
            let rows = fairness.groups.map { group in
                [Console.printable(group.group), String(group.rows), figure(group.selectionRate), figure(group.truePositiveRate),
                 figure(group.falsePositiveRate), figure(group.accuracy)]
            }
            lines.append(Console.table(["group", "rows", "selection", "TPR", "FPR", "accuracy"], rows))
            lines.append("")
            lines.append(Console.table(["metric", "value"], [
                ["demographic_parity_difference", figure(fairness.demographicParityDifference)],
                ["disparate_impact_ratio", figure(fairness.disparateImpactRatio)],
                ["equalized_odds_difference", figure(fairness.equalizedOddsDifference)],
            ], rule: false))
        }
        let notes = report.metrics.notes + (report.fairness?.notes ?? [])
        if !notes.isEmpty {
            lines.append("")
            lines.append(contentsOf: notes.map { "note: " + Console.printable($0) })
        }
        return lines.joined(separator: "\n")
    }
}

extension QualityTask: ExpressibleByArgument {}
