import Foundation
import Testing
import YardCore
import YardJSON
@testable import YardMonitoring
import YardStore

/// A reference resolver over local files, as the server's resolves dataset versions to cached objects.
struct FileReferences: ReferenceResolver {
    let files: [String: String]

    func referencePath(dataset: String, digest: String) async throws -> String {
        guard let path = files["\(dataset)@\(digest)"] else {
            throw YardError.notFound("Dataset '\(dataset)' has no version '\(digest)'.")
        }
        return path
    }
}

/// A webhook endpoint standing in for the network: answers from a script, records every body.
final class ScriptedWebhook: WebhookSender, @unchecked Sendable {
    enum Answer { case status(Int), failure(String) }
    private let lock = NSLock()
    private var answers: [Answer]
    private(set) var bodies: [JSONValue] = []
    private(set) var times: [ContinuousClock.Instant] = []

    init(_ answers: [Answer]) {
        self.answers = answers
    }

    func post(url: String, body: [UInt8], timeout: Duration) async throws -> Int {
        let answer: Answer = lock.withLock {
            bodies.append((try? JSONParser.parse(body)) ?? .null)
            times.append(.now)
            return answers.isEmpty ? .status(200) : answers.removeFirst()
        }
        switch answer {
        case .status(let code): return code
        case .failure(let message): throw YardError(.temporarilyUnavailable, message)
        }
    }

    var received: [JSONValue] { lock.withLock { bodies } }
    var attemptTimes: [ContinuousClock.Instant] { lock.withLock { times } }
}

/// A clock tests move by hand.
final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var millis: Int64

    init(_ start: Int64) { millis = start }
    var now: Int64 { lock.withLock { millis } }
    func advance(_ delta: Int64) { lock.withLock { millis += delta } }
}

@Suite("Monitor service")
struct MonitorServiceTests {
    /// A deterministic pseudo-random stream (tests must not depend on a seed per process).
    struct Generator {
        var state: UInt64
        mutating func next() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Double(state >> 11) / Double(1 << 53)
        }
        /// Roughly normal: the sum of 12 uniforms.
        mutating func normal(mean: Double, sd: Double) -> Double {
            var sum = 0.0
            for _ in 0..<12 { sum += next() }
            return mean + (sum - 6) * sd
        }
    }

    static let plans = ["basic", "plus", "pro"]

    /// reference: age ~ N(40, 10), plan uniform over three, churned 0/1.
    func writeReference(_ directory: TemporaryDirectory) throws -> String {
        var generator = Generator(state: 7)
        var lines = ["age,plan,churned"]
        for row in 0..<600 {
            lines.append("\(String(format: "%.2f", generator.normal(mean: 40, sd: 10))),\(Self.plans[row % 3]),\(row % 2)")
        }
        let path = directory.file("reference.csv")
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Single-row predictions as the deployment predictor logs them: the label output and the class map.
    func predictions(count: Int, shift: Double, from start: Int64, seed: UInt64, prefix: String) -> [PredictionRecord] {
        var generator = Generator(state: seed)
        return (0..<count).map { index in
            let age = generator.normal(mean: 40 + shift, sd: 10)
            let label = index % 2
            let probability = label == 1 ? 0.8 : 0.3
            return PredictionRecord(
                id: "\(prefix)-\(index)", deployment: "churn", modelName: "churn", modelVersion: index % 10 == 0 ? "4" : "3",
                role: index % 10 == 0 ? PredictionRole.canary : PredictionRole.primary, timestamp: start + Int64(index),
                latencyMicros: 100,
                inputs: #"[{"age":\#(String(format: "%.2f", age)),"plan":"\#(Self.plans[index % 3])"}]"#,
                outputs: #"[{"output_label":\#(label),"output_probability":{"0":\#(1 - probability),"1":\#(probability)}}]"#,
                rows: 1)
        }
    }

    func spec(webhook: String = "http://hooks.example/alert", retries: Int = 3, window: Int = 300) -> JSONValue {
        let text = """
            {"name": "churn-drift", "source": {"deployment": "churn"}, "reference": {"dataset": "train", "digest": "abc123"},
             "window": {"last_records": \(window)}, "schedule_seconds": 1,
             "columns": {"target": "churned", "prediction": "prediction", "categorical": ["plan"]},
             "quality": {"task": "classification", "positive_label": "1"},
             "rules": [{"name": "drift", "condition": "share_drifted > 0.3 for 2 evaluations", "actions": ["notify"]},
                       {"name": "accuracy", "condition": "accuracy < 0.9"}],
             "actions": {"notify": {"webhook": {"url": "\(webhook)", "retries": \(retries)}}}}
            """
        return try! JSONParser.parse(Array(text.utf8))
    }

    struct Fixture {
        let directory: TemporaryDirectory
        let store: any ServingStore & MonitoringStore
        let service: MonitorService
        let webhook: ScriptedWebhook
        let clock: TestClock
    }

    func makeFixture(_ factory: StoreFactory, answers: [ScriptedWebhook.Answer] = []) async throws -> Fixture {
        let directory = TemporaryDirectory()
        let store = try await factory.makeServing(directory)
        let references = FileReferences(files: ["train@abc123": try writeReference(directory)])
        let webhook = ScriptedWebhook(answers)
        let clock = TestClock(1_700_000_000_000)
        let service = MonitorService(store: store, serving: store, references: references, webhooks: webhook,
                                     options: MonitorServiceOptions(retryBaseDelay: .milliseconds(20), retryMaxDelay: .milliseconds(50),
                                                                    now: { clock.now }))
        return Fixture(directory: directory, store: store, service: service, webhook: webhook, clock: clock)
    }

    // MARK: Specs

    @Test(arguments: StoreFactory.allCases)
    func specsAreValidatedAndStoredCanonically(_ factory: StoreFactory) async throws {
        let fixture = try await makeFixture(factory)
        let created = try await fixture.service.create(spec())
        #expect(created.name == "churn-drift")
        #expect(created.source == .deployment("churn"))
        #expect(created.window == .lastRecords(300))
        #expect(created.rules.map(\.condition.description) == ["share_drifted > 0.3 for 2 evaluations", "accuracy < 0.9"])
        #expect(created.actions["notify"] == .webhook(url: "http://hooks.example/alert", retries: 3, timeoutSeconds: 10))
        let stored = try await fixture.store.monitor(name: "churn-drift")
        #expect(stored.spec == created.text)
        // The canonical document parses to the same spec (so what the API returns can be sent back).
        #expect(try MonitorSpec(parsing: created.json) == created)
        #expect(try await fixture.service.monitor(name: "churn-drift").rules == created.rules)
        await expectYardError(.resourceAlreadyExists) { _ = try await fixture.service.create(spec()) }

        var members: [(String, JSONValue)] = []
        if case .object(let given) = spec() { members = given.filter { $0.0 != "name" } }
        members.append(("schedule_seconds", .int(0)))
        members.removeAll { $0.0 == "schedule_seconds" && $0.1 == .int(1) }
        let updated = try await fixture.service.update(name: "churn-drift", .object(members))
        #expect(updated.scheduleSeconds == 0)
        #expect(try await fixture.store.monitor(name: "churn-drift").createdAt == stored.createdAt)
        await expectYardError(.resourceDoesNotExist) { _ = try await fixture.service.update(name: "nope", spec()) }
        try await fixture.service.delete(name: "churn-drift")
        #expect(try await fixture.service.monitors().isEmpty)
    }

    struct BadSpec: Sendable, CustomTestStringConvertible {
        let edit: @Sendable (inout [(String, JSONValue)]) -> Void
        let message: String
        var testDescription: String { message }
    }

    static func replacing(_ key: String, _ json: String) -> @Sendable (inout [(String, JSONValue)]) -> Void {
        { members in
            let value = try! JSONParser.parse(Array(json.utf8))
            if let index = members.firstIndex(where: { $0.0 == key }) { members[index].1 = value } else { members.append((key, value)) }
        }
    }

    static let badSpecs: [BadSpec] = [
        BadSpec(edit: replacing("window", #"{"last_records": -3}"#), message: "window.last_records must be a positive integer"),
        BadSpec(edit: replacing("window", #"{"last_records": 100001}"#), message: "window.last_records must be a positive integer from 1 to 100000"),
        BadSpec(edit: replacing("window", #"{"last_records": 10, "last_seconds": 5}"#), message: "window must have exactly one of"),
        BadSpec(edit: replacing("window", #"{"last_seconds": "1h"}"#), message: "window.last_seconds must be a positive integer"),
        BadSpec(edit: replacing("schedule_seconds", "-1"), message: "schedule_seconds must be a whole number of seconds"),
        BadSpec(edit: replacing("source", #"{"deployment": "a", "stream": "b"}"#), message: "source must name exactly one"),
        BadSpec(edit: replacing("source", #"{"deployment": "bad name"}"#), message: "source.deployment 'bad name' is not a valid name"),
        BadSpec(edit: replacing("reference", #"{"dataset": "train"}"#), message: "reference.digest is required"),
        BadSpec(edit: replacing("reference", #"{"dataset": "train", "digest": "zz"}"#), message: "reference.digest must be the dataset version's hex digest"),
        BadSpec(edit: replacing("reference", #"{"dataset": "train", "digest": "abc999"}"#), message: "reference: Dataset 'train' has no version 'abc999'"),
        BadSpec(edit: replacing("rules", #"[{"name": "x", "condition": "share_drifted >> 1"}]"#), message: "rules[0].condition: at character 15"),
        BadSpec(edit: replacing("rules", #"[{"name": "x", "condition": "accuracy < 1", "actions": ["page"]}]"#), message: "rules[0].actions[0] must name an action defined under 'actions'"),
        BadSpec(edit: replacing("rules", #"[{"name": "x", "condition": "rows < 1"}, {"name": "x", "condition": "rows < 2"}]"#), message: "rules[1].name: another rule is already named 'x'"),
        BadSpec(edit: replacing("actions", #"{"notify": {"webhook": {"url": "ftp://x"}}}"#), message: "actions.notify.webhook.url must be an http:// or https:// URL"),
        BadSpec(edit: replacing("actions", #"{"notify": {"pipeline": {"workspace": "relative", "stage": "train"}}}"#), message: "actions.notify.pipeline.workspace must be an absolute path"),
        BadSpec(edit: replacing("actions", #"{"notify": {"webhook": {"url": "http://x/y", "retries": 11}}}"#), message: "actions.notify.webhook.retries must be a whole number of retries from 0 to 10"),
        BadSpec(edit: replacing("quality", #"{"task": "ranking"}"#), message: "quality.task must be 'classification' or 'regression'"),
        BadSpec(edit: replacing("quality", #"{"privileged": "M"}"#), message: "quality.privileged needs quality.sensitive"),
        BadSpec(edit: replacing("columns", #"{"stattest": "nope"}"#), message: "stattest"),
        BadSpec(edit: replacing("extra", "1"), message: "extra is not a field of a monitor spec"),
    ]

    @Test(arguments: badSpecs)
    func invalidSpecsNameTheField(_ bad: BadSpec) async throws {
        // Validation happens before the store; one store is enough.
        let fixture = try await makeFixture(.sqlite)
        guard case .object(var members) = spec() else { return }
        bad.edit(&members)
        do {
            _ = try await fixture.service.create(.object(members))
            Issue.record("accepted")
        } catch let error as YardError {
            #expect(error.code == .invalidParameterValue)
            #expect(error.message.contains(bad.message), "\(error.message)")
        }
        #expect(try await fixture.store.monitors().isEmpty)
    }

    // MARK: Evaluation

    @Test(arguments: StoreFactory.allCases)
    func emptyWindowIsRecordedAsAnErrorEvaluation(_ factory: StoreFactory) async throws {
        let fixture = try await makeFixture(factory)
        _ = try await fixture.service.create(spec())
        let evaluation = try await fixture.service.evaluate(name: "churn-drift")
        #expect(evaluation.status == "error")
        #expect(evaluation.error?.contains("The window is empty") == true)
        #expect(evaluation.rows == 0)
        #expect(try await fixture.store.evaluations(monitor: "churn-drift", limit: 5, before: nil) == [evaluation])
        await expectYardError(.resourceDoesNotExist) { _ = try await fixture.service.evaluate(name: "missing") }
    }

    @Test(arguments: StoreFactory.allCases)
    func shiftedTrafficDriftsFiresAfterTwoEvaluationsAndNotifies(_ factory: StoreFactory) async throws {
        // The first two attempts fail (an error answer, then no answer); the third is accepted.
        let fixture = try await makeFixture(factory, answers: [.status(503), .failure("connection refused")])
        _ = try await fixture.service.create(spec())
        let start = fixture.clock.now - 10_000
        try await fixture.store.appendPredictions(predictions(count: 300, shift: 0, from: start, seed: 11, prefix: "same"))
        // A shadow's answers are not part of the window.
        var shadow = predictions(count: 50, shift: 100, from: start, seed: 12, prefix: "same")
        for index in shadow.indices { shadow[index].role = PredictionRole.shadow }
        try await fixture.store.appendPredictions(shadow)

        let calm = try await fixture.service.evaluate(name: "churn-drift")
        #expect(calm.status == "ok", "\(calm.error ?? "")")
        #expect(calm.rows == 300)
        #expect(calm.modelName == "churn" && calm.modelVersion == "3", "the version answering most rows")
        #expect(!calm.datasetDrift)

        // Same distribution, shifted ages: the newest 300 records are all shifted.
        try await fixture.store.appendPredictions(predictions(count: 300, shift: 25, from: start + 1_000, seed: 13, prefix: "shifted"))
        let labelled = (0..<300).map { (predictionId: "shifted-\($0)", label: String($0 % 2)) }
        #expect(try await fixture.store.recordLabels(Array(labelled.prefix(200)), deployment: "churn", at: start + 2_000) == 200)
        fixture.clock.advance(1_000)
        let first = try await fixture.service.evaluate(name: "churn-drift")
        #expect(first.status == "ok", "\(first.error ?? "")")
        #expect(first.rows == 300 && first.labeledRows == 200)
        #expect(first.windowStart == start + 1_000 && first.windowEnd == start + 1_300)
        let result = try JSONParser.parse(Array(first.result.utf8))
        guard case .array(let columns)? = result["columns"] else { Issue.record("no columns in \(first.result)"); return }
        let age = columns.first { $0["column"] == .string("age") }
        #expect(age?["drifted"] == .bool(true), "\(first.result)")
        let plan = columns.first { $0["column"] == .string("plan") }
        #expect(plan?["drifted"] == .bool(false), "\(first.result)")
        #expect(first.shareDrifted > 0.3)
        // Predictions equal the labels for every labelled row.
        #expect(result["quality"]?["metrics"]?["accuracy"] == .number("1.0"), "\(first.result)")
        var states = try await fixture.store.alertStates(monitor: "churn-drift")
        #expect(states.first { $0.rule == "drift" }?.state == "pending")
        #expect(states.first { $0.rule == "accuracy" }?.state == "ok")
        #expect(try await fixture.store.alertEvents(monitor: "churn-drift", limit: 10).isEmpty)

        fixture.clock.advance(1_000)
        let second = try await fixture.service.evaluate(name: "churn-drift")
        states = try await fixture.store.alertStates(monitor: "churn-drift")
        #expect(states.first { $0.rule == "drift" }?.state == "firing")
        let events = try await fixture.store.alertEvents(monitor: "churn-drift", limit: 10)
        #expect(events.count == 1)
        #expect(events.first?.state == "firing" && events.first?.evaluationId == second.id)

        await fixture.service.waitForActions()
        let bodies = fixture.webhook.received
        #expect(bodies.count == 3, "three attempts: 503, refused, 200")
        let body = try #require(bodies.last)
        #expect(body["monitor"] == .string("churn-drift"))
        #expect(body["rule"] == .string("drift"))
        #expect(body["state"] == .string("firing"))
        #expect(body["condition"] == .string("share_drifted > 0.3 for 2 evaluations"))
        #expect(body["evaluation"]?["id"] == .int(second.id))
        #expect(body["evaluation"]?["model_version"] == .string("3"))
        #expect(body["evaluation"]?["share_drifted"] == .double(second.shareDrifted))
        let times = fixture.webhook.attemptTimes
        #expect(times[1] - times[0] >= .milliseconds(20) && times[2] - times[1] >= .milliseconds(40), "backoff doubles")

        let outcomes = try await fixture.store.actionOutcomes(monitor: "churn-drift", limit: 10).reversed().map { $0 }
        #expect(outcomes.map(\.attempt) == [1, 2, 3])
        #expect(outcomes.map(\.outcome) == ["failed", "failed", "succeeded"])
        #expect(outcomes[0].detail == "HTTP 503")
        #expect(outcomes[1].detail.contains("connection refused"))
        #expect(outcomes.allSatisfy { $0.eventId == events[0].id && $0.action == "webhook" && $0.target == "http://hooks.example/alert" })

        // Still drifting: no second firing event, no second notification.
        fixture.clock.advance(1_000)
        _ = try await fixture.service.evaluate(name: "churn-drift")
        await fixture.service.waitForActions()
        #expect(try await fixture.store.alertEvents(monitor: "churn-drift", limit: 10).count == 1)
        #expect(fixture.webhook.received.count == 3)

        // The reference was profiled once and kept under its (version, mapping) key.
        let key = ReferenceCache.key(MonitorSpec.Reference(dataset: "train", digest: "abc123"),
                                     mapping: try MonitorSpec(parsing: spec()).columns)
        #expect(try await fixture.store.referenceProfile(key: key) != nil)
        // A restarted server evaluates from the stored profile without the file.
        try FileManager.default.removeItem(atPath: fixture.directory.file("reference.csv"))
        let restarted = MonitorService(store: fixture.store, serving: fixture.store, references: FileReferences(files: [:]),
                                       options: MonitorServiceOptions(now: { fixture.clock.now }))
        let again = try await restarted.evaluate(name: "churn-drift")
        #expect(again.status == "ok", "\(again.error ?? "")")
        #expect(again.shareDrifted == second.shareDrifted)
    }

    @Test(arguments: StoreFactory.allCases)
    func failingWebhookIsTriedOncePlusItsRetries(_ factory: StoreFactory) async throws {
        let fixture = try await makeFixture(factory, answers: Array(repeating: .status(500), count: 10))
        guard case .object(var members) = spec(retries: 2) else { return }
        members = members.map { $0.0 == "rules" ? ($0.0, try! JSONParser.parse(Array(#"[{"name": "rows", "condition": "rows >= 1", "actions": ["notify"]}]"#.utf8))) : $0 }
        _ = try await fixture.service.create(.object(members))
        try await fixture.store.appendPredictions(predictions(count: 20, shift: 0, from: fixture.clock.now - 100, seed: 3, prefix: "p"))
        let evaluation = try await fixture.service.evaluate(name: "churn-drift")
        await fixture.service.waitForActions()
        #expect(fixture.webhook.received.count == 3)
        let outcomes = try await fixture.store.actionOutcomes(monitor: "churn-drift", limit: 10)
        #expect(outcomes.count == 3)
        #expect(outcomes.allSatisfy { $0.outcome == "failed" && $0.detail == "HTTP 500" })
        #expect(evaluation.rows == 20, "the rows metric is there even if drift failed: \(evaluation.error ?? "")")
    }

    @Test func retryDelaysDoubleUpToTheCap() {
        let policy = RetryPolicy(retries: 6, baseDelay: .milliseconds(500), maxDelay: .seconds(4))
        #expect(policy.attempts == 7)
        #expect((1...7).map { policy.delay(beforeAttempt: $0) } == [
            .zero, .milliseconds(500), .seconds(1), .seconds(2), .seconds(4), .seconds(4), .seconds(4),
        ])
    }

    // MARK: Pipeline trigger

    /// The executable is written by a child process (`install`), never through a descriptor of this one:
    /// a sibling test forking while such a descriptor is open would hold the file open for writing until
    /// its own exec, and running the script then fails with ETXTBSY ("Text file busy").
    func script(_ directory: TemporaryDirectory, _ body: String) throws -> String {
        let source = directory.file("fake-yard-\(UUID().uuidString).txt")
        let path = directory.file("fake-yard.sh")
        try ("#!/bin/sh\n" + body + "\n").write(toFile: source, atomically: true, encoding: .utf8)
        let install = Process()
        install.executableURL = URL(fileURLWithPath: "/usr/bin/install")
        install.arguments = ["-m", "755", source, path]
        try install.run()
        install.waitUntilExit()
        #expect(install.terminationStatus == 0)
        return path
    }

    @Test func processTriggerRunsTheStageInTheWorkspaceAndKeepsItsExitCode() async throws {
        let directory = TemporaryDirectory()
        let workspace = directory.file("ws")
        try FileManager.default.createDirectory(atPath: workspace, withIntermediateDirectories: true)
        let executable = try script(directory, """
            echo "args: $1 $2"
            echo "cwd: $(pwd)"
            echo "tracking: $MLFLOW_TRACKING_URI" >&2
            exit 3
            """)
        let trigger = ProcessPipelineTrigger(executable: executable, trackingURI: "http://127.0.0.1:5999")
        let outcome = await trigger.run(workspace: workspace, stage: "train", timeout: .seconds(20))
        #expect(outcome.exitCode == 3)
        #expect(!outcome.succeeded && !outcome.timedOut)
        #expect(outcome.outputTail.contains("args: run train"), "\(outcome.outputTail)")
        #expect(outcome.outputTail.contains("cwd: \(URL(fileURLWithPath: workspace).resolvingSymlinksInPath().path)") || outcome.outputTail.contains("cwd: \(workspace)"))
        #expect(outcome.outputTail.contains("tracking: http://127.0.0.1:5999"))

        let quiet = try script(directory, "exit 0")
        #expect(await ProcessPipelineTrigger(executable: quiet, trackingURI: nil).run(workspace: workspace, stage: "train", timeout: .seconds(20)).succeeded)

        let missing = await trigger.run(workspace: directory.file("nope"), stage: "train", timeout: .seconds(5))
        #expect(missing.exitCode == nil && missing.outputTail.contains("is not a folder"))
    }

    @Test func processTriggerStopsARunPastItsTimeoutAndKeepsTheTail() async throws {
        let directory = TemporaryDirectory()
        let executable = try script(directory, """
            i=0
            while [ $i -lt 3000 ]; do echo "line $i"; i=$((i+1)); done
            sleep 30
            """)
        let trigger = ProcessPipelineTrigger(executable: executable, trackingURI: nil, tailBytes: 200)
        let started = ContinuousClock.now
        let outcome = await trigger.run(workspace: directory.path, stage: "train", timeout: .milliseconds(500))
        #expect(ContinuousClock.now - started < .seconds(10))
        #expect(outcome.timedOut && !outcome.succeeded)
        #expect(outcome.outputTail.hasSuffix("line 2999"), "\(outcome.outputTail)")
        #expect(outcome.outputTail.utf8.count <= 200)
    }

    @Test(arguments: StoreFactory.allCases)
    func pipelineActionRecordsTheExitCode(_ factory: StoreFactory) async throws {
        let fixture = try await makeFixture(factory)
        let executable = try script(fixture.directory, "echo retrained $2; exit 0")
        let service = MonitorService(store: fixture.store, serving: fixture.store,
                                     references: FileReferences(files: ["train@abc123": fixture.directory.file("reference.csv")]),
                                     pipelines: ProcessPipelineTrigger(executable: executable, trackingURI: nil),
                                     options: MonitorServiceOptions(now: { fixture.clock.now }))
        guard case .object(var members) = spec() else { return }
        members = members.map { member in
            switch member.0 {
            case "rules": return (member.0, try! JSONParser.parse(Array(#"[{"name": "few", "condition": "rows < 100", "actions": ["retrain"]}]"#.utf8)))
            case "actions": return (member.0, try! JSONParser.parse(Array(#"{"retrain": {"pipeline": {"workspace": "\#(fixture.directory.path)", "stage": "train"}}}"#.utf8)))
            default: return member
            }
        }
        _ = try await service.create(.object(members))
        try await fixture.store.appendPredictions(predictions(count: 10, shift: 0, from: fixture.clock.now - 100, seed: 5, prefix: "p"))
        _ = try await service.evaluate(name: "churn-drift")
        await service.waitForActions()
        let outcomes = try await fixture.store.actionOutcomes(monitor: "churn-drift", limit: 10)
        #expect(outcomes.count == 1)
        #expect(outcomes.first?.action == "pipeline")
        #expect(outcomes.first?.outcome == "succeeded")
        #expect(outcomes.first?.detail == "exit 0: retrained train")
        #expect(outcomes.first?.target == "\(fixture.directory.path): train")
    }

    // MARK: Scheduler

    @Test(arguments: StoreFactory.allCases)
    func schedulerEvaluatesDueMonitorsAndStopsWhenCancelled(_ factory: StoreFactory) async throws {
        let fixture = try await makeFixture(factory)
        _ = try await fixture.service.create(spec())
        guard case .object(var members) = spec() else { return }
        members = members.map { $0.0 == "name" ? ($0.0, .string("on-demand")) : $0.0 == "schedule_seconds" ? ($0.0, .int(0)) : $0 }
        _ = try await fixture.service.create(.object(members))
        let scheduler = MonitorScheduler(service: fixture.service, tick: .milliseconds(20))
        let running = Task { await scheduler.run() }
        // Never evaluated: due at once (an empty window, recorded as an error evaluation).
        try await waitUntil { try await fixture.store.evaluations(monitor: "churn-drift", limit: 5, before: nil).count == 1 }
        try await Task.sleep(for: .milliseconds(100))
        #expect(try await fixture.store.evaluations(monitor: "churn-drift", limit: 5, before: nil).count == 1, "not due before 1 s")
        fixture.clock.advance(1_000)
        try await waitUntil { try await fixture.store.evaluations(monitor: "churn-drift", limit: 5, before: nil).count == 2 }
        let latest = try await fixture.store.evaluations(monitor: "churn-drift", limit: 1, before: nil)
        #expect(latest.first?.status == "error" && latest.first?.error?.contains("window is empty") == true)
        #expect(try await fixture.store.evaluations(monitor: "on-demand", limit: 5, before: nil).isEmpty)
        running.cancel()
        await running.value
        fixture.clock.advance(5_000)
        try await Task.sleep(for: .milliseconds(100))
        #expect(try await fixture.store.evaluations(monitor: "churn-drift", limit: 5, before: nil).count == 2, "stopped")
    }

    func waitUntil(_ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        Issue.record("timed out waiting")
    }
}
