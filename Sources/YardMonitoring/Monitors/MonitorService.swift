import YardCore
import YardJSON
import YardStore

/// Told about every evaluation, so the server can publish gauges (drift per feature, share drifted,
/// quality) labelled by model and version.
public protocol MonitorObserver: Sendable {
    func monitorEvaluated(_ spec: MonitorSpec, evaluation: MonitorEvaluationRecord, report: DriftReport?, quality: [String: Double])
}

/// Where a monitor's reference dataset version is read from (the server: its object store).
public protocol ReferenceResolver: Sendable {
    /// A readable local path of the version's file; throws `.resourceDoesNotExist` naming the version.
    func referencePath(dataset: String, digest: String) async throws -> String
}

/// Settings the server (or a test) chooses.
public struct MonitorServiceOptions: Sendable {
    /// The first pause between webhook attempts; it doubles up to `retryMaxDelay`.
    public var retryBaseDelay: Duration
    public var retryMaxDelay: Duration
    /// Milliseconds since the epoch.
    public var now: @Sendable () -> Int64

    public init(retryBaseDelay: Duration = .milliseconds(500), retryMaxDelay: Duration = .seconds(30),
                now: @escaping @Sendable () -> Int64 = { Identifiers.nowMillis() }) {
        self.retryBaseDelay = retryBaseDelay
        self.retryMaxDelay = retryMaxDelay
        self.now = now
    }
}

/// The monitors' rules: validation, evaluation, history, alerts. No HTTP.
public final class MonitorService: Sendable {
    public let store: any MonitoringStore
    public let serving: any ServingStore
    let references: any ReferenceResolver
    let observer: (any MonitorObserver)?
    let actions: AlertActionRunner
    let options: MonitorServiceOptions
    let referenceCache = ReferenceCache()
    let pipelines: (any PipelineTrigger)?
    /// Commits refused because another evaluation changed the alert states first are recomputed from
    /// the new states this many times before the conflict is reported.
    static let commitAttempts = 3

    public init(store: any MonitoringStore, serving: any ServingStore, references: any ReferenceResolver,
                observer: (any MonitorObserver)? = nil, webhooks: (any WebhookSender)? = nil,
                pipelines: (any PipelineTrigger)? = nil, options: MonitorServiceOptions = MonitorServiceOptions()) {
        self.store = store
        self.serving = serving
        self.references = references
        self.observer = observer
        self.options = options
        self.pipelines = pipelines
        self.actions = AlertActionRunner(store: store, webhooks: webhooks, pipelines: pipelines, options: options)
    }

    // MARK: Definitions

    /// Validates the document; errors name the field (`rules[0].condition: …`).
    public func create(_ document: JSONValue) async throws -> MonitorSpec {
        let spec = try MonitorSpec(parsing: document)
        try await checkReference(spec)
        let now = options.now()
        try await store.createMonitor(MonitorRecord(name: spec.name, spec: spec.text, createdAt: now, updatedAt: now))
        return spec
    }

    /// Replaces the definition; the document's name, when given, must be `name`.
    public func update(name: String, _ document: JSONValue) async throws -> MonitorSpec {
        _ = try await store.monitor(name: name)
        guard case .object(var members) = document else { throw YardError.invalid("A monitor spec must be a JSON object.") }
        if let given = members.first(where: { $0.0 == "name" })?.1 {
            guard given == .string(name) else {
                throw YardError.invalid("name must be '\(name)', the monitor being updated (a monitor cannot be renamed; create a new one).")
            }
        } else {
            members.insert(("name", .string(name)), at: 0)
        }
        let spec = try MonitorSpec(parsing: .object(members))
        try await checkReference(spec)
        try await store.updateMonitor(MonitorRecord(name: name, spec: spec.text, updatedAt: options.now()))
        return spec
    }

    public func delete(name: String) async throws {
        try await store.deleteMonitor(name: name)
    }

    public func monitor(name: String) async throws -> MonitorSpec {
        Self.spec(try await store.monitor(name: name))
    }

    public func monitors() async throws -> [MonitorSpec] {
        try await store.monitors().map(Self.spec)
    }

    static func spec(_ record: MonitorRecord) -> MonitorSpec {
        MonitorSpec(name: record.name, json: WindowTable.parse(record.spec))
    }

    private func checkReference(_ spec: MonitorSpec) async throws {
        for (name, action) in spec.actions.sorted(by: { $0.key < $1.key }) {
            if case .pipeline(let workspace, _, _) = action, let pipelines, let refusal = pipelines.refusal(workspace: workspace) {
                throw YardError.invalid("actions.\(name).pipeline.workspace: \(refusal)")
            }
        }
        do {
            _ = try await references.referencePath(dataset: spec.reference.dataset, digest: spec.reference.digest)
        } catch let error as YardError where error.code == .invalidParameterValue || error.code == .resourceDoesNotExist {
            throw YardError.invalid("reference: \(error.message)")
        }
    }

    // MARK: Evaluation

    /// Evaluates now, commits the evaluation with the alert transitions, then runs the actions (in the
    /// background). A window that cannot be evaluated (empty, reference missing) is recorded and returned
    /// as an evaluation with status `error`; only a missing monitor or a store failure throws.
    public func evaluate(name: String) async throws -> MonitorEvaluationRecord {
        let record = try await store.monitor(name: name)
        let spec = Self.spec(record)
        let outcome = await compute(spec)
        var lastConflict: Error?
        for _ in 0..<Self.commitAttempts {
            let previous = try await store.alertStates(monitor: name)
            let (states, events) = stepRules(spec, previous: previous, metrics: outcome.metrics, at: outcome.evaluation.evaluatedAt)
            do {
                let committed = try await store.commitEvaluation(outcome.evaluation, expectedStates: previous, states: states, events: events)
                observer?.monitorEvaluated(spec, evaluation: committed.evaluation, report: outcome.report, quality: outcome.quality)
                let firing = committed.events.filter { $0.state == AlertStateMachine.firing }
                if !firing.isEmpty { actions.launch(spec: spec, evaluation: committed.evaluation, events: firing) }
                return committed.evaluation
            } catch let error as YardError where error.code == .resourceConflict {
                lastConflict = error
            }
        }
        throw lastConflict ?? YardError(.resourceConflict, "Monitor '\(name)': could not commit the evaluation.")
    }

    /// Waits until every action launched so far has finished (tests; a server shutting down).
    public func waitForActions() async {
        await actions.waitForAll()
    }

    struct Outcome {
        var evaluation: MonitorEvaluationRecord
        var metrics: [String: Double]
        var report: DriftReport?
        var quality: [String: Double]
    }

    func compute(_ spec: MonitorSpec) async -> Outcome {
        let now = options.now()
        var evaluation = MonitorEvaluationRecord(monitor: spec.name, evaluatedAt: now, windowStart: now, windowEnd: now, rows: 0,
                                                 labeledRows: 0, modelName: "", modelVersion: "", status: "ok", datasetDrift: false,
                                                 shareDrifted: 0, result: "{}")
        var metrics: [String: Double] = [:]
        func failed(_ message: String) -> Outcome {
            evaluation.status = "error"
            evaluation.error = message
            return Outcome(evaluation: evaluation, metrics: metrics, report: nil, quality: [:])
        }
        let window: MonitorWindow
        do {
            window = try await MonitorWindow.read(source: spec.source, window: spec.window, serving: serving, now: now)
        } catch {
            return failed("Reading the prediction log of \(spec.source.label) failed: \(Self.message(error))")
        }
        evaluation.windowStart = window.start
        evaluation.windowEnd = window.end
        let table = WindowTable(records: window.records, mapping: spec.columns)
        evaluation.rows = table.rows
        evaluation.labeledRows = table.labeledRows
        evaluation.modelName = table.modelName
        evaluation.modelVersion = table.modelVersion
        metrics["rows"] = Double(table.rows)
        metrics["labeled_rows"] = Double(table.labeledRows)
        guard table.rows > 0 else {
            return failed("The window is empty: \(spec.source.label) has no \(Self.describe(spec.window)); send traffic (or records) first.")
        }

        let reference: LoadedTable
        do {
            reference = try await referenceCache.table(for: spec.reference, mapping: spec.columns, resolver: references, store: store)
        } catch {
            return failed("The reference dataset \(spec.reference.dataset)@\(spec.reference.digest) could not be loaded: \(Self.message(error))")
        }
        let report: DriftReport
        do {
            let current = table.builder.table(label: spec.source.label)
            report = try await DriftEngine.run(reference: reference, current: current,
                                               options: DriftOptions(mapping: spec.columns, histograms: false))
        } catch {
            return failed("Drift could not be computed: \(Self.message(error))")
        }
        evaluation.datasetDrift = report.datasetDrift
        evaluation.shareDrifted = report.shareDrifted
        metrics["share_drifted"] = report.shareDrifted
        metrics["drifted_columns"] = Double(report.driftedCount)
        metrics["dataset_drift"] = report.datasetDrift ? 1 : 0
        for column in report.columns {
            metrics["drift_score:\(column.column)"] = column.result.score
            metrics["drifted:\(column.column)"] = column.result.drifted ? 1 : 0
        }

        var result: [(String, JSONValue)] = [
            ("drift_share", .double(report.driftShare)), ("tested_columns", .int(report.testedCount)),
            ("drifted_columns", .int(report.driftedCount)),
            ("columns", DriftReportJSON.columns(report.columns)), ("skipped", DriftReportJSON.skipped(report.skipped)),
        ]
        var quality: [String: Double] = [:]
        if let settings = spec.quality {
            let (qualityJSON, fairnessJSON, figures) = Self.quality(settings, table: table, label: spec.source.label)
            result.append(("quality", qualityJSON))
            if let fairnessJSON { result.append(("fairness", fairnessJSON)) }
            quality = figures
            metrics.merge(figures) { _, new in new }
        }
        evaluation.result = String(decoding: JSONWriter.bytes(.object(result)), as: UTF8.self)
        return Outcome(evaluation: evaluation, metrics: metrics, report: report, quality: quality)
    }

    /// Quality and fairness over the labelled rows: the result's JSON parts and the figures rules read.
    static func quality(_ settings: MonitorSpec.QualitySettings, table: WindowTable, label: String)
        -> (quality: JSONValue, fairness: JSONValue?, figures: [String: Double]) {
        guard table.labeledRows > 0 else {
            return (.object([("labeled_rows", .int(0)), ("notes", .array([.string("No labelled rows in the window: post labels to compute quality.")]))]), nil, [:])
        }
        let options = QualityOptions(target: WindowTable.qualityTarget, prediction: table.predictionColumn, task: settings.task,
                                     scores: table.hasScores ? [WindowTable.scoresColumn] : [], positiveLabel: settings.positiveLabel,
                                     sensitive: settings.sensitive, privileged: settings.privileged)
        let report: QualityReport
        do {
            report = try QualityEvaluation.run(table: table.labeledTable(label: label, also: [settings.sensitive].compactMap { $0 }),
                                               options: options)
        } catch {
            return (.object([("error", .string(error.description))]), nil, [:])
        }
        var figures = Dictionary(report.metrics.available, uniquingKeysWith: { first, _ in first })
        var qualityMembers: [(String, JSONValue)] = []
        var fairness: JSONValue?
        if case .object(let members) = report.json() {
            for (key, value) in members {
                if key == "fairness" { fairness = value } else { qualityMembers.append((key, value)) }
            }
        }
        if let groups = report.fairness {
            for (name, value) in groups.available { figures[name] = value }
        }
        return (.object(qualityMembers), fairness, figures)
    }

    func stepRules(_ spec: MonitorSpec, previous: [AlertStateRecord], metrics: [String: Double], at time: Int64)
        -> (states: [AlertStateRecord], events: [AlertEventRecord]) {
        var states: [AlertStateRecord] = []
        var events: [AlertEventRecord] = []
        for rule in spec.rules {
            let before = previous.first { $0.rule == rule.name }
            let (state, event) = AlertStateMachine.step(rule: rule, monitor: spec.name, previous: before,
                                                        value: metrics[rule.condition.metric], at: time)
            states.append(state)
            if let event { events.append(event) }
        }
        return (states, events)
    }

    static func describe(_ window: MonitorSpec.Window) -> String {
        switch window {
        case .lastRecords: return "records in its prediction log"
        case .lastSeconds(let seconds): return "records in the last \(seconds) seconds"
        }
    }

    static func message(_ error: any Error) -> String {
        switch error {
        case let error as YardError: return error.message
        case let error as DriftError: return error.message
        case let error as QualityError: return error.message
        default: return String(describing: error)
        }
    }
}
