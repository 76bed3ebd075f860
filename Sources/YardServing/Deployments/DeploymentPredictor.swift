import Foundation
import YardCore
import YardJSON
import YardStore

/// One answered request: who answered (role, model, version), what, and how long the model took.
public struct PredictionOutcome: Sendable {
    public let id: String
    public let role: DeploymentRole
    public let model: LoadedModel<ServableModel>
    public let feeds: ModelFeeds
    public let outputs: [(name: String, value: Value)]
    public let inferenceTime: Duration
}

/// What a prediction told monitoring, for metrics (YardServing has no metrics of its own).
public struct PredictionObservation: Sendable {
    public let deployment: String
    public let role: DeploymentRole
    public let modelName: String
    public let modelVersion: String
    public let inferenceTime: Duration
    public let rows: Int
    public let summary: PredictionSummary
}

/// Answers requests on a deployment: routes to the primary or the canary, predicts, hands a sample to
/// the prediction log, and runs the shadow on a copy of the request after the answer is ready.
public struct DeploymentPredictor: Sendable {
    let logger: PredictionLogger?
    let observe: @Sendable (PredictionObservation) -> Void
    let shadows = ShadowSlots(limit: 64)

    public init(logger: PredictionLogger?, observe: @escaping @Sendable (PredictionObservation) -> Void = { _ in }) {
        self.logger = logger
        self.observe = observe
    }

    /// The model that will answer; throws 503 when the deployment has none loaded.
    public func route(_ deployment: Deployment<ServableModel>) throws(YardError) -> (role: DeploymentRole, model: LoadedModel<ServableModel>) {
        guard let chosen = deployment.route() else {
            throw DeploymentErrors.notReady(deployment.name, reason: deployment.notReadyReason)
        }
        return chosen
    }

    /// Predicts with the routed model on `feeds` (the request turned into its inputs). `shadowFeeds`
    /// builds the shadow model's inputs from the same request, after the answer; it is not called when
    /// there is no shadow. A request the model refuses is a 400 naming what is wrong.
    public func predict(on deployment: Deployment<ServableModel>, routed: (role: DeploymentRole, model: LoadedModel<ServableModel>),
                        feeds: ModelFeeds,
                        shadowFeeds: @escaping @Sendable (ServableModel) throws(CodecError) -> ModelFeeds) throws(YardError) -> PredictionOutcome {
        let start = ContinuousClock.now
        let outputs: [(name: String, value: Value)]
        do {
            outputs = try routed.model.package.model.predict(feeds.tensors)
        } catch {
            throw YardError(.badRequest, error.kind == .invalidInput ? error.message
                            : "Version \(routed.model.version) of \(routed.model.name) could not evaluate the request: \(error.message)")
        }
        let elapsed = ContinuousClock.now - start
        let id = logger?.newPredictionId() ?? PredictionId.make()
        let outcome = PredictionOutcome(id: id, role: routed.role, model: routed.model, feeds: feeds, outputs: outputs, inferenceTime: elapsed)
        observe(PredictionObservation(deployment: deployment.name, role: routed.role, modelName: routed.model.name,
                                      modelVersion: routed.model.version, inferenceTime: elapsed, rows: feeds.rows,
                                      summary: PredictionSummary.of(outputs)))
        log(outcome, deployment: deployment)
        if let shadow = deployment.model(for: .shadow) {
            runShadow(shadow, id: id, deployment: deployment, makeFeeds: shadowFeeds)
        }
        return outcome
    }

    private func log(_ outcome: PredictionOutcome, deployment: Deployment<ServableModel>) {
        guard let logger else { return }
        let rate = deployment.logSampleRate
        // Rendering the rows costs more than the sampling decision, so decide first.
        guard PredictionSampler.keeps(id: outcome.id, rate: rate) else {
            logger.noteSampledOut()
            return
        }
        logger.record(Self.record(id: outcome.id, deployment: deployment.name, role: outcome.role, model: outcome.model,
                                  feeds: outcome.feeds, outputs: outcome.outputs, elapsed: outcome.inferenceTime),
                      sampleRate: rate)
    }

    private func runShadow(_ shadow: LoadedModel<ServableModel>, id: String, deployment: Deployment<ServableModel>,
                           makeFeeds: @escaping @Sendable (ServableModel) throws(CodecError) -> ModelFeeds) {
        // Shadows must never slow the answer down: past `limit` copies in flight, the copy is skipped.
        guard shadows.take() else { return }
        let logger = self.logger, observe = self.observe, shadows = self.shadows
        let rate = deployment.logSampleRate, name = deployment.name
        Task.detached(priority: .low) {
            defer { shadows.give() }
            guard let feeds = try? makeFeeds(shadow.package) else { return }
            let start = ContinuousClock.now
            guard let outputs = try? shadow.package.model.predict(feeds.tensors) else { return }
            let elapsed = ContinuousClock.now - start
            observe(PredictionObservation(deployment: name, role: .shadow, modelName: shadow.name, modelVersion: shadow.version,
                                          inferenceTime: elapsed, rows: feeds.rows, summary: PredictionSummary.of(outputs)))
            guard let logger, PredictionSampler.keeps(id: id, rate: rate) else { return }
            logger.record(Self.record(id: id, deployment: name, role: .shadow, model: shadow, feeds: feeds, outputs: outputs, elapsed: elapsed),
                          sampleRate: rate)
        }
    }

    static func record(id: String, deployment: String, role: DeploymentRole, model: LoadedModel<ServableModel>, feeds: ModelFeeds,
                       outputs: [(name: String, value: Value)], elapsed: Duration) -> PredictionRecord {
        let rows = feeds.rows
        let inputs = JSONValue.array((0..<rows).map { feeds.inputRow($0) })
        let answers = JSONValue.array((0..<rows).map { ResponseValues.outputRow(outputs, row: $0) })
        let micros = elapsed.components.seconds * 1_000_000 + elapsed.components.attoseconds / 1_000_000_000_000
        return PredictionRecord(id: id, deployment: deployment, modelName: model.name, modelVersion: model.version, role: role.rawValue,
                                timestamp: Identifiers.nowMillis(), latencyMicros: micros,
                                inputs: String(decoding: JSONWriter.bytes(inputs), as: UTF8.self),
                                outputs: String(decoding: JSONWriter.bytes(answers), as: UTF8.self), rows: rows)
    }

    public static func yardError(_ error: CodecError) -> YardError {
        error.kind == .unsupportedMediaType ? YardError(.unsupportedMediaType, error.message) : YardError(.badRequest, error.message)
    }
}

/// A counting semaphore that never waits: `take` fails when all slots are in use.
final class ShadowSlots: @unchecked Sendable {
    private let lock = NSLock()
    private var inUse = 0
    let limit: Int

    init(limit: Int) {
        self.limit = limit
    }

    func take() -> Bool {
        lock.withLock {
            guard inUse < limit else { return false }
            inUse += 1
            return true
        }
    }

    func give() {
        lock.withLock { inUse -= 1 }
    }
}
