import Foundation
import YardCore
import YardJSON
import YardStore

/// Something worth a log line: a version swapped in, a load that failed. The server logs these.
public struct DeploymentEvent: Sendable {
    public enum Kind: String, Sendable {
        case loaded, loadFailed = "load_failed", resolveFailed = "resolve_failed", historyFailed = "history_failed"
    }

    public var kind: Kind
    public var deployment: String
    public var role: DeploymentRole?
    public var message: String
}

/// Keeps every deployment's models loaded and current. A watcher re-resolves each model URI every
/// `pollInterval` (and at once on `nudge()`), so an alias moved by a promotion, a rollback or another
/// replica is followed: the new version is loaded and warmed up beside the old one, then swapped in;
/// requests already running finish on the model they started with. A version that fails to load leaves
/// the previous one serving and is reported in the status and the model's history.
public final class DeploymentManager<Loader: ModelPackageLoader>: Sendable {
    public typealias Package = Loader.Package

    public struct Options: Sendable {
        public var pollInterval: Duration
        /// How long a version that failed to load is left alone before it is tried again.
        public var retryFailedAfter: TimeInterval
        /// Recorded as the actor of the history entries the watcher writes.
        public var actor: String

        public init(pollInterval: Duration = .seconds(1), retryFailedAfter: TimeInterval = 30, actor: String = "yard-serving") {
            self.pollInterval = pollInterval
            self.retryFailedAfter = retryFailedAfter
            self.actor = actor
        }
    }

    let catalog: any DeploymentCatalog
    let source: any ModelSource
    let loader: Loader
    /// Where deployment changes are written as model history; nil when serving without a registry.
    let history: (any RegistryStore)?
    let options: Options
    let events: @Sendable (DeploymentEvent) -> Void
    private let table = DeploymentTable<Package>()
    private let passes = SerialPasses()
    private let wakeUp = WakeUp()

    public init(catalog: any DeploymentCatalog, source: any ModelSource, loader: Loader, history: (any RegistryStore)?,
                options: Options = Options(), events: @escaping @Sendable (DeploymentEvent) -> Void = { _ in }) {
        self.catalog = catalog
        self.source = source
        self.loader = loader
        self.history = history
        self.options = options
        self.events = events
    }

    // MARK: Reading (request path)

    public func deployment(named name: String) -> Deployment<Package>? {
        table.get(name)
    }

    public func all() -> [Deployment<Package>] {
        table.all()
    }

    public func status(name: String) throws(YardError) -> DeploymentStatus {
        guard let deployment = table.get(name) else { throw DeploymentErrors.notFound(name) }
        return deployment.status()
    }

    // MARK: Changes (API)

    /// Stores a new deployment and loads its models before returning, so the status says at once
    /// whether it serves (a load failure is reported there, not thrown).
    public func create(_ spec: DeploymentSpec, actor: String) async throws -> DeploymentStatus {
        var spec = try spec.validated()
        let now = Identifiers.nowMillis()
        spec.createdAt = now
        spec.updatedAt = now
        try await catalog.insertDeployment(spec)
        await recordChange(spec, event: "created", actor: actor)
        await refresh()
        return try status(name: spec.name)
    }

    public func update(name: String, patch: DeploymentPatch, actor: String) async throws -> DeploymentStatus {
        guard let current = try await catalog.deploymentSpecs().first(where: { $0.name == name }) else {
            throw DeploymentErrors.notFound(name)
        }
        var updated = try patch.applied(to: current).validated()
        updated.updatedAt = Identifiers.nowMillis()
        try await catalog.replaceDeployment(updated)
        await recordChange(updated, event: "updated", actor: actor, previous: current)
        await refresh()
        return try status(name: name)
    }

    public func delete(name: String, actor: String) async throws {
        let current = try await catalog.deploymentSpecs().first(where: { $0.name == name })
        try await catalog.removeDeployment(name: name)
        if let current { await recordChange(current, event: "deleted", actor: actor) }
        await refresh()
    }

    // MARK: Watching

    /// Re-resolves every deployment until the task is cancelled.
    public func run() async {
        while !Task.isCancelled {
            await refresh()
            await wakeUp.wait(upTo: options.pollInterval)
        }
    }

    /// Asks the watcher to look now instead of at the next poll.
    public func nudge() {
        Task { await wakeUp.signal() }
    }

    /// One pass: read the catalog, then resolve and (re)load every model whose version moved. Passes
    /// never overlap; a caller arriving during one waits for a fresh one.
    public func refresh() async {
        await passes.run { await self.pass() }
    }

    private func pass() async {
        let specs: [DeploymentSpec]
        do {
            specs = try await catalog.deploymentSpecs()
        } catch {
            events(DeploymentEvent(kind: .resolveFailed, deployment: "*", role: nil, message: "cannot read deployments: \(error)"))
            return
        }
        let deployments = table.reconcile(specs)
        await withTaskGroup(of: Void.self) { group in
            for deployment in deployments {
                for (role, uri) in deployment.roles() {
                    group.addTask { await self.follow(deployment, role: role, uri: uri) }
                }
            }
        }
    }

    private func follow(_ deployment: Deployment<Package>, role: DeploymentRole, uri: String) async {
        let resolved: ResolvedModel
        do {
            resolved = try await source.resolve(ModelReference(parsing: uri))
        } catch {
            let message = "cannot resolve \(uri): \(Self.describe(error))"
            if deployment.recordFailure(role: role, uri: uri, message: message, identity: nil, now: Date()) {
                events(DeploymentEvent(kind: .resolveFailed, deployment: deployment.name, role: role, message: message))
            }
            return
        }
        guard let plan = deployment.plan(role: role, uri: uri, resolved: resolved, retryAfter: options.retryFailedAfter, now: Date()) else {
            return
        }
        let package: Package
        do {
            package = try await loader.load(resolved)
        } catch {
            await fail(deployment, plan, "version \(resolved.version) of \(resolved.name) failed to load: \(Self.describe(error))")
            return
        }
        do {
            try await loader.warmUp(package)
        } catch {
            await fail(deployment, plan, "version \(resolved.version) of \(resolved.name) failed its warm-up request: \(Self.describe(error))")
            return
        }
        let model = LoadedModel(resolved: resolved, uri: uri, package: package)
        guard deployment.install(model, role: role), table.get(deployment.name) === deployment else { return }
        events(DeploymentEvent(kind: .loaded, deployment: deployment.name, role: role,
                               message: "serving version \(resolved.version) of \(resolved.name)"
                                   + (plan.previous.map { " (was \($0.version))" } ?? "")))
        var detail: [(String, JSONValue)] = [
            ("deployment", .string(deployment.name)), ("event", .string("version_loaded")), ("role", .string(role.rawValue)),
            ("uri", .string(uri)), ("version", .string(resolved.version)),
        ]
        if let previous = plan.previous { detail.append(("previous_version", .string(previous.version))) }
        await appendHistory(model: resolved.name, version: Int64(resolved.version), detail: detail, actor: options.actor, deployment: deployment.name)
    }

    private func fail(_ deployment: Deployment<Package>, _ plan: Deployment<Package>.LoadPlan, _ message: String) async {
        let serving = plan.previous.map { "; version \($0.version) keeps serving" } ?? "; nothing is serving for this role yet"
        deployment.recordFailure(role: plan.role, uri: plan.uri, message: message + serving, identity: plan.target.identity, now: Date())
        events(DeploymentEvent(kind: .loadFailed, deployment: deployment.name, role: plan.role, message: message + serving))
        await appendHistory(model: plan.target.name, version: Int64(plan.target.version), detail: [
            ("deployment", .string(deployment.name)), ("event", .string("load_failed")), ("role", .string(plan.role.rawValue)),
            ("uri", .string(plan.uri)), ("version", .string(plan.target.version)), ("error", .string(message)),
            ("serving_version", plan.previous.map { .string($0.version) } ?? .null),
        ], actor: options.actor, deployment: deployment.name)
    }

    // MARK: History

    private func recordChange(_ spec: DeploymentSpec, event: String, actor: String, previous: DeploymentSpec? = nil) async {
        var detail: [(String, JSONValue)] = [
            ("deployment", .string(spec.name)), ("event", .string(event)), ("model_uri", .string(spec.modelURI)),
            ("canary_uri", spec.canaryURI.map { .string($0) } ?? .null), ("canary_share", .double(spec.canaryShare)),
            ("shadow_uri", spec.shadowURI.map { .string($0) } ?? .null), ("log_sample_rate", .double(spec.logSampleRate)),
        ]
        if let previous, previous.modelURI != spec.modelURI { detail.append(("previous_model_uri", .string(previous.modelURI))) }
        // Every registered model the deployment names gets the entry, once.
        var models: [String] = []
        for uri in [spec.modelURI, spec.canaryURI, spec.shadowURI, previous?.modelURI].compactMap({ $0 }) {
            if let name = (try? ModelReference(parsing: uri))?.modelName, !models.contains(name) { models.append(name) }
        }
        for model in models {
            await appendHistory(model: model, version: nil, detail: detail, actor: actor, deployment: spec.name)
        }
    }

    private func appendHistory(model: String, version: Int64?, detail: [(String, JSONValue)], actor: String, deployment: String) async {
        guard let history else { return }
        // A local path is not a registered model: there is no history to write to.
        guard (try? await history.registeredModelId(name: model)) != nil else { return }
        let text = String(decoding: JSONWriter.bytes(.object(detail)), as: UTF8.self)
        do {
            try await history.appendHistory(name: model, records: [HistoryRecord(version: version, action: .deploymentChanged, detail: text)], actor: actor)
        } catch {
            events(DeploymentEvent(kind: .historyFailed, deployment: deployment, role: nil, message: "cannot write history of \(model): \(error)"))
        }
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? YardError { return error.message }
        if let error = error as? InferenceError { return error.message }
        return String(describing: error)
    }
}

/// The deployments by name, behind a lock: requests look them up without waiting for the watcher.
final class DeploymentTable<Package: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var deployments: [String: Deployment<Package>] = [:]

    func get(_ name: String) -> Deployment<Package>? {
        lock.withLock { deployments[name] }
    }

    func all() -> [Deployment<Package>] {
        lock.withLock { deployments.values.sorted { $0.name < $1.name } }
    }

    /// Matches the table to the catalog: new specs get a deployment, changed ones are updated, missing
    /// ones are dropped. Returns the deployments now live.
    func reconcile(_ specs: [DeploymentSpec]) -> [Deployment<Package>] {
        lock.withLock {
            var next: [String: Deployment<Package>] = [:]
            for spec in specs {
                if let existing = deployments[spec.name] {
                    if existing.spec != spec { existing.update(spec: spec) }
                    next[spec.name] = existing
                } else {
                    next[spec.name] = Deployment(spec: spec)
                }
            }
            deployments = next
            return next.values.sorted { $0.name < $1.name }
        }
    }
}

/// Runs passes one at a time. A caller that arrives while a pass runs waits for it and then for one
/// more, so what it changed before calling is seen.
actor SerialPasses {
    private var tail: Task<Void, Never>?

    func run(_ pass: @escaping @Sendable () async -> Void) async {
        let previous = tail
        let next = Task {
            await previous?.value
            await pass()
        }
        tail = next
        await next.value
    }
}

/// A wake-up call with a timeout: the watcher sleeps on it between passes; `signal` ends the sleep early
/// (or the next one, if nobody is sleeping), and so does cancelling the sleeper.
actor WakeUp {
    private var pending = false
    private var waiter: CheckedContinuation<Void, Never>?
    private var generation = 0

    func signal() {
        if let waiter {
            self.waiter = nil
            waiter.resume()
        } else {
            pending = true
        }
    }

    func wait(upTo duration: Duration) async {
        if pending {
            pending = false
            return
        }
        generation += 1
        let mine = generation
        let timer = Task { [weak self] in
            try? await Task.sleep(for: duration)
            await self?.expire(mine)
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                if Task.isCancelled {
                    continuation.resume()
                } else {
                    waiter = continuation
                }
            }
        } onCancel: {
            Task { await self.expire(mine) }
        }
        timer.cancel()
    }

    private func expire(_ generation: Int) {
        guard generation == self.generation, let waiter else { return }
        self.waiter = nil
        waiter.resume()
    }
}
