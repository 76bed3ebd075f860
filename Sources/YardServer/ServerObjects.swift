import NIOPosix
import YardCore
import YardData

/// The server's content-addressed objects (what `yard data push/pull` move and dataset monitors read).
///
/// Every object passes through the server's own cache folder, where it is hashed and published only if
/// it matches its name. With a shared store (`--objects s3://bucket/prefix`) the cache is a read-through
/// copy of it: an upload is acknowledged only once it is in the shared store, and an object another
/// replica received is fetched (and verified again) the first time it is asked for here. So several
/// servers behind one load balancer answer as one, and a lost replica loses no acknowledged object.
public struct ServerObjects: Sendable {
    public let cache: ObjectCache
    /// Where replicas share objects; nil keeps them in the cache folder only.
    public let shared: (any Remote)?

    public init(cache: ObjectCache, shared: (any Remote)? = nil) {
        self.cache = cache
        self.shared = shared
    }

    public var displayName: String { shared?.displayName ?? cache.root }

    /// The digests stored nowhere: neither here nor, when there is one, in the shared store.
    func missing(_ digests: [ContentDigest]) async throws -> [ContentDigest] {
        let cache = self.cache
        let notHere = try await NIOThreadPool.singleton.runIfActive { digests.filter { !cache.contains($0) } }
        guard let shared, !notHere.isEmpty else { return notHere }
        let absent = try await shared.missing(notHere)
        return notHere.filter { absent.contains($0) }
    }

    /// True when the object needs no upload: it is in the shared store (or, without one, in the cache).
    func isStored(_ digest: ContentDigest) async throws -> Bool {
        try await missing([digest]).isEmpty
    }

    /// Called once an uploaded object is published in the cache: copies it to the shared store, so the
    /// upload is acknowledged only when every replica can read it.
    func share(_ digest: ContentDigest) async throws {
        guard let shared else { return }
        let size = try await NIOThreadPool.singleton.runIfActive { cache.size(of: digest) ?? 0 }
        try await shared.upload([TransferItem(digest: digest, size: size)], from: cache, progress: SilentProgress())
    }

    /// Makes the object readable from the cache folder, fetching it from the shared store when another
    /// replica received it. False when it is stored nowhere.
    func ensureLocal(_ digest: ContentDigest) async throws -> Bool {
        let cache = self.cache
        if try await NIOThreadPool.singleton.runIfActive({ cache.contains(digest) }) { return true }
        guard let shared else { return false }
        guard try await shared.missing([digest]).isEmpty else { return false }
        try await shared.download([TransferItem(digest: digest, size: 0)], into: cache, progress: SilentProgress())
        return try await NIOThreadPool.singleton.runIfActive { cache.contains(digest) }
    }
}
