import Foundation
import YardCore

/// The three models a deployment can hold: the primary answers, the canary answers a share of the
/// requests, the shadow sees a copy of each request and only writes to the prediction log.
public enum DeploymentRole: String, Sendable, CaseIterable {
    case primary, canary, shadow
}

/// Loads a model package from disk and runs one synthetic request through it. Implementations keep the
/// blocking work off the cooperative thread pool (the server runs it on NIO's thread pool).
public protocol ModelPackageLoader<Package>: Sendable {
    associatedtype Package: Sendable
    func load(_ model: ResolvedModel) async throws -> Package
    /// Throws when the package cannot answer a one-row request of each input's type.
    func warmUp(_ package: Package) async throws
}

/// A model package in memory, with where it came from. Requests keep the value they started with, so a
/// swap never pulls a model out from under a request in flight.
public struct LoadedModel<Package: Sendable>: Sendable {
    public let resolved: ResolvedModel
    public let uri: String
    public let package: Package
    public let loadedAt: Date

    public init(resolved: ResolvedModel, uri: String, package: Package, loadedAt: Date = Date()) {
        self.resolved = resolved
        self.uri = uri
        self.package = package
        self.loadedAt = loadedAt
    }

    public var name: String { resolved.name }
    public var version: String { resolved.version }
}

/// What one role of a deployment is doing, for the status API.
public struct ModelSlotStatus: Sendable, Equatable {
    public var uri: String
    public var modelName: String?
    public var version: String?
    public var loadedAt: Date?
    /// The last resolve, load or warm-up failure since the serving version was loaded (the previous
    /// version keeps serving meanwhile).
    public var lastError: String?
    public var lastErrorAt: Date?
    /// The version the URI resolved to last, when it differs from the one serving (loading or failed).
    public var pendingVersion: String?
}

public struct DeploymentStatus: Sendable, Equatable {
    public var spec: DeploymentSpec
    public var primary: ModelSlotStatus
    public var canary: ModelSlotStatus?
    public var shadow: ModelSlotStatus?

    public var ready: Bool { primary.version != nil }
    public var name: String { spec.name }
}

/// One deployment's live state. Reads (`route`, `model(for:)`, `status`) take a lock for a few
/// instructions and never wait for loading, which happens in the manager's watcher.
public final class Deployment<Package: Sendable>: @unchecked Sendable {
    struct Slot {
        var uri: String
        var loaded: LoadedModel<Package>?
        var lastError: String?
        var lastErrorAt: Date?
        var pending: ResolvedModel?
        /// The identity that last failed to load and when, so a broken version is not reloaded every poll.
        var failedIdentity: String?
        var failedAt: Date?
    }

    public let name: String
    private let lock = NSLock()
    private var currentSpec: DeploymentSpec
    private var slots: [DeploymentRole: Slot] = [:]

    init(spec: DeploymentSpec) {
        name = spec.name
        currentSpec = spec
        slots = Self.slots(for: spec, keeping: [:])
    }

    public var spec: DeploymentSpec { lock.withLock { currentSpec } }

    /// The model that answers this request: the canary for `canaryShare` of the requests when it is
    /// loaded, the primary otherwise. Nil when nothing is loaded yet.
    public func route(draw: Double = Double.random(in: 0..<1)) -> (role: DeploymentRole, model: LoadedModel<Package>)? {
        lock.withLock {
            if currentSpec.canaryShare > 0, draw < currentSpec.canaryShare, let canary = slots[.canary]?.loaded {
                return (.canary, canary)
            }
            if let primary = slots[.primary]?.loaded { return (.primary, primary) }
            // A primary that never loaded: a loaded canary is better than an error.
            if let canary = slots[.canary]?.loaded { return (.canary, canary) }
            return nil
        }
    }

    public func model(for role: DeploymentRole) -> LoadedModel<Package>? {
        lock.withLock { slots[role]?.loaded }
    }

    public var logSampleRate: Double { lock.withLock { currentSpec.logSampleRate } }

    /// Why the deployment cannot answer, for a 503 message.
    public var notReadyReason: String? {
        lock.withLock { slots[.primary]?.lastError }
    }

    public func status() -> DeploymentStatus {
        lock.withLock {
            func describe(_ role: DeploymentRole) -> ModelSlotStatus? {
                guard let slot = slots[role] else { return nil }
                let pending = slot.pending.flatMap { $0.identity == slot.loaded?.resolved.identity ? nil : $0.version }
                return ModelSlotStatus(uri: slot.uri, modelName: slot.loaded?.name ?? slot.pending?.name,
                                       version: slot.loaded?.version, loadedAt: slot.loaded?.loadedAt,
                                       lastError: slot.lastError, lastErrorAt: slot.lastErrorAt, pendingVersion: pending)
            }
            return DeploymentStatus(spec: currentSpec,
                                    primary: describe(.primary) ?? ModelSlotStatus(uri: currentSpec.modelURI),
                                    canary: describe(.canary), shadow: describe(.shadow))
        }
    }

    // MARK: Changes (the manager's watcher)

    /// Takes a new spec. A role whose URI changed keeps serving its loaded model until the new URI's
    /// model is loaded; a removed canary or shadow stops at once.
    func update(spec: DeploymentSpec) {
        lock.withLock {
            currentSpec = spec
            slots = Self.slots(for: spec, keeping: slots)
        }
    }

    private static func slots(for spec: DeploymentSpec, keeping old: [DeploymentRole: Slot]) -> [DeploymentRole: Slot] {
        var result: [DeploymentRole: Slot] = [:]
        let uris: [(DeploymentRole, String?)] = [(.primary, spec.modelURI), (.canary, spec.canaryURI), (.shadow, spec.shadowURI)]
        for case let (role, uri?) in uris {
            if var existing = old[role] {
                if existing.uri != uri {
                    existing.uri = uri
                    existing.failedIdentity = nil
                    existing.lastError = nil
                    existing.lastErrorAt = nil
                    existing.pending = nil
                }
                result[role] = existing
            } else {
                result[role] = Slot(uri: uri)
            }
        }
        return result
    }

    struct LoadPlan {
        var role: DeploymentRole
        var uri: String
        var target: ResolvedModel
        var previous: LoadedModel<Package>?
    }

    func roles() -> [(DeploymentRole, String)] {
        lock.withLock { DeploymentRole.allCases.compactMap { role in slots[role].map { (role, $0.uri) } } }
    }

    /// Records what `uri` resolves to now and says whether it must be loaded: a new identity that has
    /// not failed recently (`retryAfter`).
    func plan(role: DeploymentRole, uri: String, resolved: ResolvedModel, retryAfter: TimeInterval, now: Date) -> LoadPlan? {
        lock.withLock {
            guard var slot = slots[role], slot.uri == uri else { return nil }
            slot.pending = resolved
            defer { slots[role] = slot }
            if slot.loaded?.resolved.identity == resolved.identity {
                // Back on the serving version (a rollback of a failed move): the old failure is history.
                slot.lastError = nil
                slot.lastErrorAt = nil
                slot.failedIdentity = nil
                return nil
            }
            if slot.failedIdentity == resolved.identity, let failedAt = slot.failedAt, now.timeIntervalSince(failedAt) < retryAfter {
                return nil
            }
            return LoadPlan(role: role, uri: uri, target: resolved, previous: slot.loaded)
        }
    }

    /// Swaps in a loaded model, unless the spec moved on meanwhile. Returns false when it was dropped.
    func install(_ model: LoadedModel<Package>, role: DeploymentRole) -> Bool {
        lock.withLock {
            guard var slot = slots[role], slot.uri == model.uri else { return false }
            slot.loaded = model
            slot.lastError = nil
            slot.lastErrorAt = nil
            slot.failedIdentity = nil
            slot.failedAt = nil
            slots[role] = slot
            return true
        }
    }

    /// Returns false when the same failure was already recorded (so it is reported once, not every poll).
    @discardableResult
    func recordFailure(role: DeploymentRole, uri: String, message: String, identity: String?, now: Date) -> Bool {
        lock.withLock {
            guard var slot = slots[role], slot.uri == uri else { return false }
            let repeated = slot.lastError == message
            slot.lastError = message
            slot.lastErrorAt = now
            if let identity {
                slot.failedIdentity = identity
                slot.failedAt = now
            }
            slots[role] = slot
            return !repeated
        }
    }
}
