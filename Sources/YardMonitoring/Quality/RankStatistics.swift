/// Area under the ROC curve as the Mann–Whitney statistic: the chance that a random positive row scores
/// above a random negative one, ties counting half. It equals the trapezoidal area scikit-learn's
/// `roc_auc_score` integrates, in O(n log n).
enum RankStatistics {
    /// nil when either class is absent.
    static func rocAUC(scores: [Double], isPositive: [Bool]) -> Double? {
        let positives = isPositive.filter { $0 }.count
        let negatives = isPositive.count - positives
        guard positives > 0, negatives > 0 else { return nil }
        let order = scores.indices.sorted { scores[$0] < scores[$1] }
        var positiveRankSum = 0.0
        var start = 0
        while start < order.count {
            var end = start + 1
            while end < order.count, scores[order[end]] == scores[order[start]] { end += 1 }
            // Ranks start+1 ... end share their mean.
            let meanRank = Double(start + 1 + end) / 2
            for position in start..<end where isPositive[order[position]] { positiveRankSum += meanRank }
            start = end
        }
        let p = Double(positives), n = Double(negatives)
        return (positiveRankSum - p * (p + 1) / 2) / (p * n)
    }
}
