import Foundation
import YardCore

/// A remote that is a folder: local disk, NFS, SMB or any mounted share. It has the cache's layout, so
/// existence checks are one `access` each, run in parallel, and objects are published the cache's way.
public struct FolderRemote: Remote {
    public let store: ObjectCache
    public var displayName: String { store.root }
    /// Objects published per flush; an interruption loses at most one batch of work.
    static let batchSize = 2048

    public init(path: String) throws(YardError) {
        store = try ObjectCache(root: URL(fileURLWithPath: path).standardizedFileURL.path)
    }

    public func missing(_ digests: [ContentDigest]) async throws -> Set<ContentDigest> {
        let store = self.store
        let present = try ParallelWork.map(digests.count, width: ParallelWork.defaultWidth * 2) { index throws(YardError) -> Bool in
            store.contains(digests[index])
        }
        return Set(zip(digests, present).compactMap { $1 ? nil : $0 })
    }

    public func upload(_ items: [TransferItem], from cache: ObjectCache, progress: any ProgressReporter) async throws {
        try Self.copy(items, from: cache, to: store, sourceName: "the local cache", progress: progress)
    }

    public func download(_ items: [TransferItem], into cache: ObjectCache, progress: any ProgressReporter) async throws {
        try Self.copy(items, from: store, to: cache, sourceName: "the remote \(store.root)", progress: progress)
    }

    /// Streams each object through a hashing writer into the destination, in parallel, batch by batch.
    static func copy(_ items: [TransferItem], from source: ObjectCache, to destination: ObjectCache, sourceName: String,
                     progress: any ProgressReporter) throws(YardError) {
        var start = 0
        while start < items.count {
            let slice = Array(items[start..<min(items.count, start + batchSize)])
            let batch = destination.beginBatch()
            do throws(YardError) {
                try ParallelWork.forEach(slice.count, width: ParallelWork.defaultWidth * 2) { index throws(YardError) in
                    let item = slice[index]
                    if destination.contains(item.digest) { return }
                    guard source.contains(item.digest) else {
                        throw YardError.notFound("Object \(item.digest) is not in \(sourceName); push it from a repository that has it.")
                    }
                    let writer = try destination.beginObject()
                    do throws(YardError) {
                        try writer.appendFile(source.path(for: item.digest))
                    } catch {
                        writer.abort()
                        throw error
                    }
                    try batch.finish(writer, expected: item.digest, source: sourceName)
                    progress.advance(files: 1, bytes: writer.bytesWritten)
                }
                try batch.commit()
            } catch {
                batch.discard()
                throw error
            }
            start += slice.count
        }
    }
}
