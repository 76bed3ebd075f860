import YardCore

/// An object with its size (0 when not known yet), as remotes move them.
public struct TransferItem: Sendable, Equatable {
    public var digest: ContentDigest
    public var size: Int64

    public init(digest: ContentDigest, size: Int64) {
        self.digest = digest
        self.size = size
    }
}

/// Somewhere objects are stored besides the local cache: a folder (local or mounted) or a `yard server`.
/// Implementations verify every object by hash on arrival and publish it atomically, so an interrupted
/// transfer leaves only complete objects and a re-run moves just what is still missing.
public protocol Remote: Sendable {
    /// For messages: the folder or URL.
    var displayName: String { get }
    /// Which of `digests` the remote lacks, asked in as few round trips as the remote allows.
    func missing(_ digests: [ContentDigest]) async throws -> Set<ContentDigest>
    /// Copies objects from the local cache to the remote.
    func upload(_ items: [TransferItem], from cache: ObjectCache, progress: any ProgressReporter) async throws
    /// Copies objects from the remote into the local cache (through `ObjectBatch.finish`, which verifies them).
    func download(_ items: [TransferItem], into cache: ObjectCache, progress: any ProgressReporter) async throws
}
