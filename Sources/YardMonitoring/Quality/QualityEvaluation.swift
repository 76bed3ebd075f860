import YardJSON

public enum QualityTask: String, Sendable, Codable, CaseIterable {
    case classification, regression
}

/// What to evaluate in a labelled table (the options of `yard quality`, and a monitor's "quality" block).
public struct QualityOptions: Sendable, Equatable {
    public var target: String
    public var prediction: String
    /// nil: inferred (see `QualityEvaluation.inferTask`).
    public var task: QualityTask?
    /// `COLUMN` or `CLASS=COLUMN`. One plain column in a binary task is the positive-class probability; in
    /// multiclass each column is one class's probability, the class named before `=`, or by the column's
    /// name itself or its suffix after the last `_` (`proba_setosa`). A JSON-lines column of
    /// {class: probability} objects gives every class at once.
    public var scores: [String]
    public var positiveLabel: String?
    public var sensitive: String?
    public var privileged: String?

    public init(target: String, prediction: String, task: QualityTask? = nil, scores: [String] = [], positiveLabel: String? = nil,
                sensitive: String? = nil, privileged: String? = nil) {
        self.target = target
        self.prediction = prediction
        self.task = task
        self.scores = scores
        self.positiveLabel = positiveLabel
        self.sensitive = sensitive
        self.privileged = privileged
    }
}

public struct QualityReport: Sendable, Equatable {
    public var task: QualityTask
    /// Rows in the input; `labeledRows` of them had both a target and a prediction and were used.
    public var rows: Int
    public var labeledRows: Int
    public var positiveLabel: String?
    public var metrics: QualityMetrics
    public var fairness: FairnessReport?

    /// The `yard quality --json` document.
    public func json() -> JSONValue {
        func number(_ value: Double?) -> JSONValue { value.map(JSONValue.double) ?? .null }
        var members: [(String, JSONValue)] = [
            ("task", .string(task.rawValue)), ("rows", .int(rows)), ("labeled_rows", .int(labeledRows)),
        ]
        if let positiveLabel { members.append(("positive_label", .string(positiveLabel))) }
        members.append(("metrics", .object(metrics.entries.map { ($0.name, number($0.value)) })))
        if let fairness {
            let groups: [(String, JSONValue)] = fairness.groups.map { group in
                (group.group, .object([
                    ("rows", .int(group.rows)), ("selection_rate", number(group.selectionRate)),
                    ("true_positive_rate", number(group.truePositiveRate)), ("false_positive_rate", number(group.falsePositiveRate)),
                    ("accuracy", number(group.accuracy)),
                ]))
            }
            members.append(("fairness", .object([
                ("column", .string(fairness.column)), ("positive_label", .string(fairness.positiveLabel)),
                ("privileged", fairness.privileged.map(JSONValue.string) ?? .null),
                ("groups", .object(groups)),
                ("demographic_parity_difference", number(fairness.demographicParityDifference)),
                ("disparate_impact_ratio", number(fairness.disparateImpactRatio)),
                ("equalized_odds_difference", number(fairness.equalizedOddsDifference)),
            ])))
        }
        let notes = metrics.notes + (fairness?.notes ?? [])
        members.append(("notes", .array(notes.map(JSONValue.string))))
        return .object(members)
    }
}

public enum QualityEvaluation {
    /// Reads the columns `options` names from `path` and evaluates them.
    public static func run(path: String, options: QualityOptions) throws(QualityError) -> QualityReport {
        var wanted = [options.target, options.prediction]
        for score in options.scores { wanted.append(scoreSpec(score).column) }
        if let sensitive = options.sensitive { wanted.append(sensitive) }
        let table = try LabeledTable.read(path: path, columns: wanted)
        return try run(table: table, options: options)
    }

    public static func run(table: LabeledTable, options: QualityOptions) throws(QualityError) -> QualityReport {
        // Tables come from files and from live windows; a missing or misaligned column is a bad table,
        // never a reason to index past an end.
        let named = [options.target, options.prediction] + options.scores.map { scoreSpec($0).column } + (options.sensitive.map { [$0] } ?? [])
        for column in named {
            guard let cells = table.columns[column] else { throw QualityError("The data has no column '\(column)'.") }
            guard cells.count == table.rowCount else {
                throw QualityError("Column '\(column)' has \(cells.count) cells for \(table.rowCount) rows; every row needs one cell per column.")
            }
        }
        let targetCells = table.columns[options.target]!, predictionCells = table.columns[options.prediction]!
        let used = targetCells.indices.filter { targetCells[$0] != .missing && predictionCells[$0] != .missing }
        var notes: [String] = []
        if used.count < table.rowCount {
            notes.append("\(table.rowCount - used.count) of \(table.rowCount) rows have no target or no prediction and were left out.")
        }
        let task = options.task ?? inferTask(target: used.map { targetCells[$0] }, prediction: used.map { predictionCells[$0] }, notes: &notes)
        switch task {
        case .regression:
            if options.sensitive != nil {
                throw QualityError("--sensitive needs a classification task (fairness compares the groups' positive decisions).")
            }
            var truth: [Double] = [], predicted: [Double] = []
            for row in used {
                guard let actual = targetCells[row].number else { throw notNumber(options.target, row: row, cell: targetCells[row]) }
                guard let guess = predictionCells[row].number else { throw notNumber(options.prediction, row: row, cell: predictionCells[row]) }
                truth.append(actual)
                predicted.append(guess)
            }
            var metrics = try RegressionQuality.compute(truth: truth, predicted: predicted)
            metrics.notes.insert(contentsOf: notes, at: 0)
            return QualityReport(task: task, rows: table.rowCount, labeledRows: used.count, metrics: metrics)
        case .classification:
            return try classification(table: table, used: used, options: options, notes: notes)
        }
    }

    private static func classification(table: LabeledTable, used: [Int], options: QualityOptions,
                                       notes: [String]) throws(QualityError) -> QualityReport {
        for column in [options.target, options.prediction] {
            let cells = table.columns[column]!
            if let row = used.first(where: { cells[$0].label == nil }) {
                throw QualityError("Column '\(column)' row \(row + 1) holds \(cells[row]), not a class label; give one label per row (probabilities go in --score columns).")
            }
        }
        let truth = used.map { table.columns[options.target]![$0].label! }
        let predicted = used.map { table.columns[options.prediction]![$0].label! }
        let classes = LabelText.sorted(truth + predicted)
        var positiveScores: [Double]?
        var probabilities: [[String: Double]]?
        let specs = options.scores.map(scoreSpec)
        if specs.count == 1, specs[0].label == nil {
            let cells = used.map { table.columns[specs[0].column]![$0] }
            if cells.contains(where: { if case .probabilities = $0 { return true } else { return false } }) {
                probabilities = cells.map { if case .probabilities(let map) = $0 { return map } else { return [:] } }
            } else {
                positiveScores = cells.map { $0.number ?? .nan }
            }
        } else if !specs.isEmpty {
            var rows = Array(repeating: [String: Double](), count: used.count)
            for spec in specs {
                let label: String
                if let named = spec.label { label = LabelText.canonical(named) } else { label = try classOf(column: spec.column, classes: classes) }
                for (position, row) in used.enumerated() {
                    rows[position][label] = table.columns[spec.column]![row].number ?? .nan
                }
            }
            probabilities = rows
        }
        var metrics = try ClassificationQuality.compute(truth: truth, predicted: predicted, positiveScores: positiveScores,
                                                        classProbabilities: probabilities, positiveLabel: options.positiveLabel)
        metrics.notes.insert(contentsOf: notes, at: 0)
        var positive: String?
        if classes.count <= 2 {
            var ignored: [String] = []
            positive = try ClassificationQuality.positiveClass(classes: classes, requested: options.positiveLabel.map(LabelText.canonical), notes: &ignored)
        } else {
            positive = options.positiveLabel.map(LabelText.canonical)
        }
        var report = QualityReport(task: .classification, rows: table.rowCount, labeledRows: used.count, positiveLabel: positive,
                                   metrics: metrics)
        if let column = options.sensitive {
            guard let positive else {
                throw QualityError("--sensitive with more than two classes needs --positive-label: fairness compares how often each group gets that prediction.")
            }
            let cells = table.columns[column]!
            let grouped = used.filter { cells[$0].label != nil }
            var fairness = try Fairness.compute(column: column, sensitive: grouped.map { cells[$0].label! },
                                                predicted: grouped.map { table.columns[options.prediction]![$0].label! },
                                                truth: grouped.map { table.columns[options.target]![$0].label! },
                                                positiveLabel: positive, privileged: options.privileged)
            if grouped.count < used.count {
                fairness.notes.insert("\(used.count - grouped.count) rows have no '\(column)' value and are left out of fairness.", at: 0)
            }
            report.fairness = fairness
        } else if options.privileged != nil {
            throw QualityError("--privileged needs --sensitive: name the column the privileged value belongs to.")
        }
        return report
    }

    /// Regression when target and prediction are all numbers and either holds a non-integer or the target
    /// has more than 20 distinct values; otherwise classification.
    public static func inferTask(target: [TableCell], prediction: [TableCell], notes: inout [String]) -> QualityTask {
        let cells = target + prediction
        let allNumbers = cells.allSatisfy { if case .number = $0 { return true } else { return false } }
        guard allNumbers, !cells.isEmpty else { return .classification }
        let fractional = cells.contains { $0.number.map { $0 != $0.rounded() } ?? false }
        let distinctTargets = Set(target.compactMap(\.number)).count
        let task: QualityTask = fractional || distinctTargets > 20 ? .regression : .classification
        notes.append("Task: \(task.rawValue) (inferred from the values; set it with --task).")
        return task
    }

    static func scoreSpec(_ text: String) -> (label: String?, column: String) {
        if let equals = text.firstIndex(of: "=") {
            return (String(text[..<equals]), String(text[text.index(after: equals)...]))
        }
        return (nil, text)
    }

    private static func classOf(column: String, classes: [String]) throws(QualityError) -> String {
        if classes.contains(LabelText.canonical(column)) { return LabelText.canonical(column) }
        if let underscore = column.lastIndex(of: "_") {
            let suffix = LabelText.canonical(String(column[column.index(after: underscore)...]))
            if classes.contains(suffix) { return suffix }
        }
        throw QualityError("Cannot tell which class the score column '\(column)' belongs to (classes: \(classes.joined(separator: ", "))). Write it as --score CLASS=\(column).")
    }

    private static func notNumber(_ column: String, row: Int, cell: TableCell) -> QualityError {
        QualityError("Column '\(column)' row \(row + 1) is not a number (\(cell)); regression needs numeric target and prediction (or use --task classification).")
    }
}
