import Testing
import YardMonitoring
import YardStore

@Suite("Alert rules")
struct AlertRuleTests {
    struct Parsed: Sendable, CustomTestStringConvertible {
        let text: String
        let metric: String
        let comparison: AlertCondition.Comparison
        let threshold: Double
        let evaluations: Int
        let canonical: String
        var testDescription: String { text }
    }

    static let parsed: [Parsed] = [
        Parsed(text: "share_drifted > 0.3", metric: "share_drifted", comparison: .greater, threshold: 0.3, evaluations: 1,
               canonical: "share_drifted > 0.3"),
        Parsed(text: "share_drifted>0.3 for 2 evaluations", metric: "share_drifted", comparison: .greater, threshold: 0.3,
               evaluations: 2, canonical: "share_drifted > 0.3 for 2 evaluations"),
        Parsed(text: "  accuracy <  0.85  ", metric: "accuracy", comparison: .less, threshold: 0.85, evaluations: 1,
               canonical: "accuracy < 0.85"),
        Parsed(text: "rows <= 10 for 1 evaluation", metric: "rows", comparison: .lessOrEqual, threshold: 10, evaluations: 1,
               canonical: "rows <= 10"),
        Parsed(text: "dataset_drift == 1 for 3 evaluations", metric: "dataset_drift", comparison: .equal, threshold: 1,
               evaluations: 3, canonical: "dataset_drift == 1 for 3 evaluations"),
        Parsed(text: "drift_score:age >= 0.1", metric: "drift_score:age", comparison: .greaterOrEqual, threshold: 0.1,
               evaluations: 1, canonical: "drift_score:age >= 0.1"),
        Parsed(text: "drifted:plan != 0", metric: "drifted:plan", comparison: .notEqual, threshold: 0, evaluations: 1,
               canonical: "drifted:plan != 0"),
        Parsed(text: "r2 < -1.5e-1", metric: "r2", comparison: .less, threshold: -0.15, evaluations: 1, canonical: "r2 < -0.15"),
    ]

    @Test(arguments: parsed)
    func conditionsParse(_ case_: Parsed) throws {
        let condition = try AlertCondition(parsing: case_.text)
        #expect(condition.metric == case_.metric)
        #expect(condition.comparison == case_.comparison)
        #expect(condition.threshold == case_.threshold)
        #expect(condition.evaluations == case_.evaluations)
        #expect(condition.description == case_.canonical)
        #expect(try AlertCondition(parsing: condition.description) == condition, "the canonical text parses back")
    }

    struct Refused: Sendable, CustomTestStringConvertible {
        let text: String
        let position: Int
        let mentions: String
        var testDescription: String { text }
    }

    static let refused: [Refused] = [
        Refused(text: "", position: 1, mentions: "metric"),
        Refused(text: "shares_drifted > 0.3", position: 1, mentions: "unknown metric 'shares_drifted'"),
        Refused(text: "share_drifted 0.3", position: 15, mentions: "comparison"),
        Refused(text: "share_drifted => 0.3", position: 15, mentions: "'=>'"),
        Refused(text: "share_drifted > high", position: 17, mentions: "'high'"),
        Refused(text: "share_drifted >", position: 16, mentions: "the end"),
        Refused(text: "accuracy < 0.8 during 2 evaluations", position: 16, mentions: "for"),
        Refused(text: "accuracy < 0.8 for 0 evaluations", position: 20, mentions: "'0'"),
        Refused(text: "accuracy < 0.8 for two evaluations", position: 20, mentions: "'two'"),
        Refused(text: "accuracy < 0.8 for 2 runs", position: 22, mentions: "'runs'"),
        Refused(text: "accuracy < 0.8 for 2 evaluations please", position: 34, mentions: "'please'"),
        Refused(text: "drift_score: > 0.1", position: 13, mentions: "column name"),
        Refused(text: "accuracy < nan", position: 12, mentions: "'nan'"),
    ]

    @Test(arguments: refused)
    func malformedConditionsPointAtThePosition(_ case_: Refused) {
        do {
            _ = try AlertCondition(parsing: case_.text)
            Issue.record("'\(case_.text)' parsed")
        } catch {
            #expect(error.position == case_.position, "\(error)")
            #expect(error.message.contains(case_.mentions), "\(error)")
            #expect(error.description.hasPrefix("at character \(case_.position):"))
        }
    }

    /// One rule through a sequence of evaluations: each step's metric value (nil: the evaluation did not
    /// produce it), the state after it, and the event it produced.
    struct Sequence: Sendable, CustomTestStringConvertible {
        let condition: String
        let steps: [(value: Double?, state: String, consecutive: Int, event: String?)]
        let name: String
        var testDescription: String { name }
    }

    static let sequences: [Sequence] = [
        Sequence(condition: "share_drifted > 0.3 for 2 evaluations", steps: [
            (0.1, "ok", 0, nil), (0.5, "pending", 1, nil), (0.6, "firing", 2, "firing"), (0.7, "firing", 3, nil),
            (0.2, "resolved", 0, "resolved"), (0.2, "ok", 0, nil),
        ], name: "pending before firing, resolved before ok"),
        Sequence(condition: "share_drifted > 0.3 for 2 evaluations", steps: [
            (0.5, "pending", 1, nil), (0.1, "ok", 0, nil), (0.5, "pending", 1, nil), (0.5, "firing", 2, "firing"),
        ], name: "a break in the run starts the count again"),
        Sequence(condition: "accuracy < 0.85", steps: [
            (0.9, "ok", 0, nil), (0.8, "firing", 1, "firing"), (nil, "firing", 1, nil), (nil, "firing", 1, nil),
            (0.95, "resolved", 0, "resolved"),
        ], name: "one evaluation fires at once; a missing metric changes nothing"),
        Sequence(condition: "accuracy < 0.85 for 3 evaluations", steps: [
            (0.8, "pending", 1, nil), (nil, "pending", 1, nil), (0.8, "pending", 2, nil), (0.8, "firing", 3, "firing"),
        ], name: "a missing metric neither breaks nor extends the run"),
        Sequence(condition: "rows < 10", steps: [
            (50, "ok", 0, nil), (0, "firing", 1, "firing"), (40, "resolved", 0, "resolved"), (3, "firing", 1, "firing"),
        ], name: "fires again straight from resolved"),
    ]

    @Test(arguments: sequences)
    func stateMachine(_ sequence: Sequence) throws {
        let rule = AlertRule(name: "r", condition: try AlertCondition(parsing: sequence.condition))
        var state: AlertStateRecord?
        var expectedSince: Int64 = 1_000
        for (index, step) in sequence.steps.enumerated() {
            let time = Int64(1_000 * (index + 1))
            let (next, event) = AlertStateMachine.step(rule: rule, monitor: "m", previous: state, value: step.value, at: time)
            #expect(next.state == step.state, "step \(index)")
            #expect(next.consecutive == step.consecutive, "step \(index)")
            #expect(event?.state == step.event, "step \(index)")
            if let event {
                #expect(event.value == step.value && event.rule == "r" && event.monitor == "m" && event.timestamp == time)
                #expect(event.message.contains(sequence.condition.components(separatedBy: " ")[0]))
            }
            if next.state != (state?.state ?? "ok") { expectedSince = time }
            #expect(next.since == expectedSince, "step \(index): since is when the rule entered its state")
            state = next
        }
    }
}
