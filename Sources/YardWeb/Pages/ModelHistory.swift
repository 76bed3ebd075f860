import Foundation
import YardCore
import YardRegistry

/// Reading a registered model's history for the pages: what each entry's JSON detail says (alias moves,
/// stage changes, gate results), the timeline markup, and the numbers behind each gate of a decision.
enum ModelHistory {
    /// The particulars of an entry, whichever of the registry's detail shapes it has.
    struct Detail: Decodable {
        var alias: String?
        var from: Int64?
        var to: Int64?
        var gates: [GateResult]?
        var source: String?

        static func decode(_ json: String) -> Detail? {
            try? JSONDecoder().decode(Detail.self, from: Data(json.utf8))
        }
    }

    /// A stage change's detail (`from`/`to` are stage names there, not versions).
    struct StageDetail: Decodable {
        var from: String
        var to: String
        var reason: String?

        static func decode(_ json: String) -> StageDetail? {
            try? JSONDecoder().decode(StageDetail.self, from: Data(json.utf8))
        }
    }

    /// A rename's detail: the name before.
    struct RenameDetail: Decodable {
        var from: String
    }

    static func title(_ action: HistoryAction) -> String {
        switch action {
        case .versionCreated: "Version created"
        case .versionDeleted: "Version deleted"
        case .stageChanged: "Stage changed"
        case .aliasSet: "Alias set"
        case .aliasDeleted: "Alias deleted"
        case .promoted: "Promoted"
        case .promotionRefused: "Promotion refused"
        case .rolledBack: "Rolled back"
        case .renamed: "Renamed"
        case .modelDeleted: "Model deleted"
        case .policySet: "Policy set"
        case .deploymentChanged: "Deployment changed"
        }
    }

    /// Whether the entry is about `version`: written for it, or moving an alias to or away from it. A refusal
    /// names the champion as `from` but moves nothing, so it is only about its candidate.
    static func concerns(_ entry: ModelHistoryEntry, version: Int64) -> Bool {
        if entry.version == version { return true }
        let moves: Set<HistoryAction> = [.aliasSet, .aliasDeleted, .promoted, .rolledBack]
        guard moves.contains(entry.action), let detail = Detail.decode(entry.detail) else { return false }
        return detail.from == version || detail.to == version
    }

    /// The latest gate decision (promotion or refusal) taken for `version`.
    static func lastDecision(_ entries: [ModelHistoryEntry], version: Int64) -> (entry: ModelHistoryEntry, detail: Detail)? {
        let decisions = entries.filter { ($0.action == .promoted || $0.action == .promotionRefused) && $0.version == version }
        guard let entry = decisions.max(by: { $0.sequence < $1.sequence }), let detail = Detail.decode(entry.detail) else { return nil }
        return (entry, detail)
    }

    // MARK: Timeline

    /// `<ol class="timeline">`, newest first as given. Entries about `highlighting` are marked `this-version`.
    static func timeline(_ entries: [ModelHistoryEntry], model: String, highlighting version: Int64?, id: String, into html: inout HTML) {
        guard !entries.isEmpty else {
            PageLayout.empty("No history entries.", into: &html)
            return
        }
        html.element("ol", [.id(id), .class("timeline")]) { list in
            for entry in entries {
                let mine = version.map { concerns(entry, version: $0) } ?? false
                list.element("li", [.class("event-\(entry.action.rawValue)" + (mine ? " this-version" : "")),
                                    Attribute("data-action", entry.action.rawValue), Attribute("data-sequence", String(entry.sequence)),
                                    Attribute("data-version", entry.version.map(String.init))]) { item in
                    item.element("span", [.class("event-title")], text: title(entry.action))
                    if let number = entry.version {
                        item.text(" ")
                        item.element("a", [.class("version-link"), Attribute("href", WebLinks.modelVersion(model, String(number)))], text: "v\(number)")
                    }
                    let summary = describe(entry)
                    if !summary.isEmpty {
                        item.text(" · ")
                        item.element("span", [.class("event-summary")], text: summary)
                    }
                    item.element("div", [.class("event-meta muted")]) { meta in
                        meta.text("by ")
                        meta.element("span", [.class("actor")], text: entry.actor)
                        meta.text(" at ")
                        meta.element("time", [Attribute("datetime", isoTime(entry.timestamp))], text: Format.timestamp(entry.timestamp) + " UTC")
                        if entry.modelName != model { meta.text(" (as model '\(entry.modelName)')") }
                    }
                    if let gates = Detail.decode(entry.detail)?.gates, !gates.isEmpty, entry.action == .promotionRefused {
                        item.element("ul", [.class("failed-gates")]) { failed in
                            for gate in gates where !gate.passed { failed.element("li", text: "\(gate.gate): \(gate.detail)") }
                        }
                    }
                }
            }
        }
    }

    /// One line saying what changed: `production: v2 → v3`, `2 of 3 gates passed`, `None → Staging`.
    static func describe(_ entry: ModelHistoryEntry) -> String {
        switch entry.action {
        case .stageChanged:
            guard let stage = StageDetail.decode(entry.detail) else { return "" }
            return "\(stage.from) → \(stage.to)" + (stage.reason == "archive_existing_versions" ? " (archived by a newer version's transition)" : "")
        case .renamed:
            guard let rename = try? JSONDecoder().decode(RenameDetail.self, from: Data(entry.detail.utf8)) else { return "" }
            return "from '\(rename.from)'"
        case .versionCreated:
            return Detail.decode(entry.detail)?.source.map { "source \($0)" } ?? ""
        case .deploymentChanged:
            return entry.detail == "{}" ? "" : entry.detail
        case .versionDeleted, .modelDeleted, .policySet:
            return ""
        case .aliasSet, .aliasDeleted, .promoted, .promotionRefused, .rolledBack:
            guard let detail = Detail.decode(entry.detail), let alias = detail.alias else { return "" }
            var text = "\(alias): " + (detail.from.map { "v\($0)" } ?? "none") + " → " + (detail.to.map { "v\($0)" } ?? "none")
            if entry.action == .promotionRefused { text = "\(alias) stays on " + (detail.from.map { "v\($0)" } ?? "no version") }
            if let gates = detail.gates, !gates.isEmpty {
                text += " · \(gates.filter(\.passed).count) of \(gates.count) gate(s) passed"
            }
            return text
        }
    }

    static func isoTime(_ millis: Int64) -> String {
        Format.timestamp(millis).replacingOccurrences(of: " ", with: "T") + "Z"
    }

    // MARK: Gate numbers

    /// One gate of a decision with its numbers pulled apart for the table. The registry records each gate
    /// as its expression and a sentence (`accuracy=0.93 >= 0.9`, `f1=0.81 >= champion v2 f1=0.85 - 0.01 (= 0.84)`);
    /// a metric gate's expression parses back into metric, comparison and threshold, and the sentence gives
    /// the observed value and the threshold actually used. Tag, description and dataset gates have no numbers.
    struct GateCheck {
        var gate: String
        var passed: Bool
        var detail: String
        var metric: String?
        var comparison: String?
        /// The threshold expression as written (`0.9`, `champion.f1 - 0.01`).
        var thresholdExpression: String?
        /// The number compared against, when the decision had one.
        var threshold: Double?
        var observed: Double?
    }

    static func check(_ result: GateResult) -> GateCheck {
        var check = GateCheck(gate: result.gate, passed: result.passed, detail: result.detail)
        guard let gate = try? MetricGate.parse(result.gate, line: 0) else { return check }
        check.metric = gate.metric
        check.comparison = gate.comparison.rawValue
        check.observed = value(of: gate.metric, in: result.detail)
        switch gate.threshold {
        case .constant(let number):
            check.thresholdExpression = Format.number(number)
            check.threshold = number
        case .champion(let metric, let offset):
            check.thresholdExpression = "champion.\(metric)" + (offset == 0 ? "" : (offset < 0 ? " - " : " + ") + Format.number(abs(offset)))
            check.threshold = computedThreshold(in: result.detail) ?? championValue(of: metric, in: result.detail)
        }
        return check
    }

    /// The observed value: the sentence starts `metric=value`, or carries it in parentheses when skipped.
    static func value(of metric: String, in detail: String) -> Double? {
        let key = metric + "="
        if detail.hasPrefix(key) { return leadingNumber(detail.dropFirst(key.count)) }
        if let range = detail.range(of: "(" + key) { return leadingNumber(detail[range.upperBound...]) }
        return nil
    }

    /// `… (= 0.84)` at the end: the threshold after the champion offset.
    static func computedThreshold(in detail: String) -> Double? {
        guard detail.hasSuffix(")"), let range = detail.range(of: " (= ", options: .backwards) else { return nil }
        return Double(detail[range.upperBound...].dropLast())
    }

    /// `champion v2 f1=0.85`: the champion's value, which is the threshold when there is no offset.
    static func championValue(of metric: String, in detail: String) -> Double? {
        guard let champion = detail.range(of: "champion v"), let key = detail.range(of: " " + metric + "=", range: champion.upperBound..<detail.endIndex)
        else { return nil }
        return leadingNumber(detail[key.upperBound...])
    }

    static func leadingNumber(_ text: Substring) -> Double? {
        Double(text.prefix { !$0.isWhitespace && $0 != ")" })
    }
}
