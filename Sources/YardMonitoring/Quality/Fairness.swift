/// One group of the sensitive column.
public struct GroupFairness: Sendable, Equatable {
    public var group: String
    public var rows: Int
    /// Share of the group's rows predicted positive.
    public var selectionRate: Double
    /// nil without labels, or when the group has no positive (TPR) / negative (FPR) truth.
    public var truePositiveRate: Double?
    public var falsePositiveRate: Double?
    public var accuracy: Double?
}

/// Group fairness of binary decisions over one sensitive column.
///
/// - demographic_parity_difference: max − min selection rate over the groups (Fairlearn).
/// - disparate_impact_ratio: with a privileged group, the lowest selection rate among the other groups
///   divided by the privileged group's (AIF360's unprivileged/privileged, worst case over the others);
///   without one, min/max over all groups (Fairlearn's demographic_parity_ratio). nil, with a note,
///   when the divisor is 0 or there is only one group.
/// - equalized_odds_difference: max of the TPR gap and the FPR gap, each max − min over groups
///   (Fairlearn's worst case). Needs labels; a group whose TPR (no positive truth) or FPR (no negative
///   truth) is undefined is left out of that gap, with a note.
public struct FairnessReport: Sendable, Equatable {
    public var column: String
    public var positiveLabel: String
    public var privileged: String?
    /// In scikit-learn's label order.
    public var groups: [GroupFairness]
    public var demographicParityDifference: Double?
    public var disparateImpactRatio: Double?
    public var equalizedOddsDifference: Double?
    public var notes: [String]

    /// metric name → value, for rules and gauges.
    public var available: [(String, Double)] {
        [("demographic_parity_difference", demographicParityDifference), ("disparate_impact_ratio", disparateImpactRatio),
         ("equalized_odds_difference", equalizedOddsDifference)].compactMap { name, value in value.map { (name, $0) } }
    }
}

public enum Fairness {
    /// `truth` nil (no labels yet) still gives selection rates and the parity figures.
    public static func compute(column: String, sensitive rawSensitive: [String], predicted rawPredicted: [String],
                               truth rawTruth: [String]?, positiveLabel: String,
                               privileged rawPrivileged: String? = nil) throws(QualityError) -> FairnessReport {
        guard rawSensitive.count == rawPredicted.count, rawTruth.map({ $0.count == rawPredicted.count }) ?? true else {
            throw QualityError("The sensitive column '\(column)', the prediction and the target must have one value per row.")
        }
        let sensitive = rawSensitive.map(LabelText.canonical)
        let predicted = rawPredicted.map(LabelText.canonical)
        let truth = rawTruth?.map(LabelText.canonical)
        let positive = LabelText.canonical(positiveLabel)
        let privileged = rawPrivileged.map(LabelText.canonical)
        let names = LabelText.sorted(sensitive)
        if let privileged, !names.contains(privileged) {
            throw QualityError("The privileged value '\(privileged)' does not occur in the sensitive column '\(column)' (values: \(names.prefix(10).joined(separator: ", "))).")
        }
        var rowsOf: [String: [Int]] = [:]
        for (row, group) in sensitive.enumerated() { rowsOf[group, default: []].append(row) }

        let groups = names.map { name -> GroupFairness in
            let rows = rowsOf[name]!
            let selected = rows.filter { predicted[$0] == positive }.count
            var figures = GroupFairness(group: name, rows: rows.count, selectionRate: Double(selected) / Double(rows.count))
            if let truth {
                let actualPositive = rows.filter { truth[$0] == positive }
                let actualNegative = rows.filter { truth[$0] != positive }
                if !actualPositive.isEmpty {
                    figures.truePositiveRate = Double(actualPositive.filter { predicted[$0] == positive }.count) / Double(actualPositive.count)
                }
                if !actualNegative.isEmpty {
                    figures.falsePositiveRate = Double(actualNegative.filter { predicted[$0] == positive }.count) / Double(actualNegative.count)
                }
                figures.accuracy = Double(rows.filter { truth[$0] == predicted[$0] }.count) / Double(rows.count)
            }
            return figures
        }

        var report = FairnessReport(column: column, positiveLabel: positive, privileged: privileged, groups: groups, notes: [])
        guard !groups.isEmpty else {
            report.notes.append("No rows: no fairness metric can be computed.")
            return report
        }
        let rates = groups.map(\.selectionRate)
        report.demographicParityDifference = rates.max()! - rates.min()!
        report.disparateImpactRatio = disparateImpact(groups: groups, privileged: privileged, notes: &report.notes)
        if truth == nil {
            report.notes.append("equalized_odds_difference: needs labels.")
        } else {
            report.equalizedOddsDifference = equalizedOdds(groups: groups, notes: &report.notes)
        }
        if groups.count == 1 {
            report.notes.append("The sensitive column '\(column)' has a single group; every gap is 0.")
        }
        return report
    }

    private static func disparateImpact(groups: [GroupFairness], privileged: String?, notes: inout [String]) -> Double? {
        if let privileged {
            let reference = groups.first { $0.group == privileged }!.selectionRate
            let others = groups.filter { $0.group != privileged }.map(\.selectionRate)
            guard let lowest = others.min() else {
                notes.append("disparate_impact_ratio: no group besides the privileged one.")
                return nil
            }
            guard reference > 0 else {
                notes.append("disparate_impact_ratio: the privileged group '\(privileged)' has no positive prediction.")
                return nil
            }
            return lowest / reference
        }
        let rates = groups.map(\.selectionRate)
        guard rates.max()! > 0 else {
            notes.append("disparate_impact_ratio: no group has a positive prediction.")
            return nil
        }
        return rates.min()! / rates.max()!
    }

    private static func equalizedOdds(groups: [GroupFairness], notes: inout [String]) -> Double? {
        func gap(_ rates: [Double?], _ name: String, _ why: String) -> Double? {
            let defined = rates.compactMap { $0 }
            let left = zip(groups, rates).filter { $0.1 == nil }.map { "'\($0.0.group)'" }
            if !left.isEmpty { notes.append("equalized_odds_difference: \(name) undefined for \(left.joined(separator: ", ")) (\(why)); left out.") }
            guard let high = defined.max(), let low = defined.min() else { return nil }
            return high - low
        }
        let tprGap = gap(groups.map(\.truePositiveRate), "TPR", "no positive in the target")
        let fprGap = gap(groups.map(\.falsePositiveRate), "FPR", "no negative in the target")
        switch (tprGap, fprGap) {
        case let (tpr?, fpr?): return max(tpr, fpr)
        case let (tpr?, nil): return tpr
        case let (nil, fpr?): return fpr
        case (nil, nil):
            notes.append("equalized_odds_difference: neither rate is defined for any group.")
            return nil
        }
    }
}
