import Foundation
import YardCore

public struct TransferSummary: Sendable, Equatable {
    /// Objects moved and their bytes.
    public var transferred = 0
    public var bytes: Int64 = 0
    /// Objects the other side already had.
    public var alreadyPresent = 0
    /// Local objects found corrupt and downloaded again (pull only).
    public var repaired = 0
}

/// Counts what passes through, then forwards to the user's reporter.
private final class CountingProgress: ProgressReporter, @unchecked Sendable {
    // Unchecked: the counters are guarded by `lock`.
    let inner: any ProgressReporter
    private let lock = NSLock()
    private var files = 0
    private var bytes: Int64 = 0

    init(_ inner: any ProgressReporter) { self.inner = inner }

    func start(_ phase: String, files: Int, bytes: Int64) { inner.start(phase, files: files, bytes: bytes) }
    func finish() { inner.finish() }
    func advance(files: Int, bytes: Int64) {
        lock.lock()
        self.files += files
        self.bytes += bytes
        lock.unlock()
        inner.advance(files: files, bytes: bytes)
    }

    var totals: (Int, Int64) {
        lock.lock()
        defer { lock.unlock() }
        return (files, bytes)
    }
}

extension DataRepository {
    /// Uploads what the remote lacks for the tracked outputs: file contents first, manifests after, the
    /// root manifests last, so a root present on the remote means its whole folder is there.
    public func push(to remote: any Remote, targets: [String] = [], from workingDirectory: String,
                     progress: any ProgressReporter = SilentProgress()) async throws -> TransferSummary {
        let lock = try lock(.shared, command: "push")
        defer { withExtendedLifetime(lock) {} }
        var contents: [ContentDigest: Int64] = [:]
        var nodes = Set<ContentDigest>()
        var roots = Set<ContentDigest>()
        for output in try outputs(targets, from: workingDirectory) {
            guard cache.contains(output.pointer.digest) else {
                throw YardError.notFound("The cache lacks '\(output.targetPath)' (\(output.pointer.digest)); run `yard data add \(output.targetPath)` or pull it before pushing.")
            }
            if output.pointer.kind == .file {
                contents[output.pointer.digest] = output.pointer.size
                continue
            }
            let tree = try treeEntries(output.pointer.digest, pointerPath: output.pointerPath)
            for entry in tree.entries { contents[entry.digest] = entry.size }
            roots.insert(output.pointer.digest)
            nodes.formUnion(tree.nodes.dropFirst())
        }
        if targets.isEmpty {
            // Pipeline outputs recorded in yard.lock travel too, so another clone can restore them with
            // `yard run --pull` instead of recomputing. Those never cached (`cache: false`) are skipped.
            for (_, pointer) in PipelineReferences.local(in: self, includingRunCache: false) where cacheHolds(pointer) {
                if pointer.kind == .file {
                    contents[pointer.digest] = pointer.size
                    continue
                }
                let tree = try treeEntries(pointer.digest)
                for entry in tree.entries { contents[entry.digest] = entry.size }
                roots.insert(pointer.digest)
                nodes.formUnion(tree.nodes.dropFirst())
            }
        }
        let absent = contents.keys.filter { !self.cache.contains($0) }
        if !absent.isEmpty {
            throw YardError.notFound("\(absent.count) object(s) are missing from the local cache (e.g. \(absent[0])); run `yard data verify` and re-add or pull the data before pushing.")
        }
        let all = Array(Set(contents.keys).union(nodes).union(roots))
        let missing = try await remote.missing(all)
        let first = missing.filter { !roots.contains($0) || contents[$0] != nil }
        let last = missing.filter { roots.contains($0) && contents[$0] == nil }
        let cache = self.cache
        func item(_ digest: ContentDigest) -> TransferItem {
            TransferItem(digest: digest, size: contents[digest] ?? cache.size(of: digest) ?? 0)
        }
        let firstItems = first.sorted().map(item)
        let lastItems = last.sorted().map(item)
        let counter = CountingProgress(progress)
        counter.start("Uploading", files: missing.count, bytes: (firstItems + lastItems).reduce(0) { $0 &+ $1.size })
        defer { counter.finish() }
        try await remote.upload(firstItems, from: cache, progress: counter)
        try await remote.upload(lastItems, from: cache, progress: counter)
        let (files, bytes) = counter.totals
        return TransferSummary(transferred: files, bytes: bytes, alreadyPresent: all.count - missing.count)
    }

    /// Downloads into the cache whatever the tracked outputs need and the cache lacks: root manifests,
    /// then their nodes, then file contents. With `repair`, objects already present are re-hashed and
    /// corrupt ones downloaded again.
    public func fetch(from remote: any Remote, targets: [String] = [], from workingDirectory: String, repair: Bool = false,
                      progress: any ProgressReporter = SilentProgress()) async throws -> TransferSummary {
        let lock = try lock(.shared, command: "fetch")
        defer { withExtendedLifetime(lock) {} }
        let outputs = try outputs(targets, from: workingDirectory)
        let counter = CountingProgress(progress)
        var summary = TransferSummary()
        var needed: [ContentDigest: Int64] = [:]
        var downloaded = Set<ContentDigest>()

        func download(_ items: [TransferItem], phase: String) async throws {
            let unique = Array(Set(items.map(\.digest))).sorted().map { digest in
                items.first { $0.digest == digest }!
            }
            if unique.isEmpty { return }
            counter.start(phase, files: unique.count, bytes: unique.reduce(0) { $0 &+ $1.size })
            defer { counter.finish() }
            try await remote.download(unique, into: cache, progress: counter)
            downloaded.formUnion(unique.map(\.digest))
        }

        // Manifests are read to learn what else is needed, before the repair pass below re-hashes the
        // rest, so a corrupt manifest has to be replaced first or nothing below it could be repaired.
        var repairedManifests = 0
        if repair {
            for output in outputs where output.pointer.kind == .directory
                && cache.contains(output.pointer.digest) && !cache.isIntact(output.pointer.digest) {
                cache.remove(output.pointer.digest)
                repairedManifests += 1
            }
        }
        let roots = outputs.filter { !cache.contains($0.pointer.digest) }.map {
            TransferItem(digest: $0.pointer.digest, size: $0.pointer.kind == .file ? $0.pointer.size : 0)
        }
        try await download(roots, phase: "Downloading")
        for output in outputs where output.pointer.kind == .directory {
            let children = try manifestChildren(of: output)
            if repair {
                for child in children where cache.contains(child) && !cache.isIntact(child) {
                    cache.remove(child)
                    repairedManifests += 1
                }
            }
            try await download(children.filter { !cache.contains($0) }.map { TransferItem(digest: $0, size: 0) }, phase: "Downloading")
        }
        for output in outputs {
            needed[output.pointer.digest] = output.pointer.kind == .file ? output.pointer.size : 0
            if output.pointer.kind == .directory {
                let tree = try treeEntries(output.pointer.digest, pointerPath: output.pointerPath)
                for node in tree.nodes { needed[node] = 0 }
                for entry in tree.entries { needed[entry.digest] = entry.size }
            }
        }
        try await download(needed.filter { !cache.contains($0.key) }.map { TransferItem(digest: $0.key, size: $0.value) },
                           phase: "Downloading")
        if repair {
            let cache = self.cache
            let sizes = needed
            let present = needed.keys.filter { !downloaded.contains($0) }
            progress.start("Verifying", files: present.count, bytes: present.reduce(0) { $0 + (needed[$1] ?? 0) })
            let intact = try ParallelWork.map(present.count) { index throws(YardError) -> Bool in
                let ok = cache.isIntact(present[index])
                progress.advance(files: 1, bytes: sizes[present[index]] ?? 0)
                return ok
            }
            progress.finish()
            let corrupt = zip(present, intact).compactMap { $1 ? nil : $0 }
            for digest in corrupt { cache.remove(digest) }
            try await download(corrupt.map { TransferItem(digest: $0, size: needed[$0] ?? 0) }, phase: "Repairing")
            summary.repaired = corrupt.count + repairedManifests
        }
        let (files, bytes) = counter.totals
        summary.transferred = files
        summary.bytes = bytes
        summary.alreadyPresent = needed.count - (downloaded.count - summary.repaired)
        return summary
    }

    /// The nodes below a tracked folder's root manifest, naming the pointer file when the manifest is unusable.
    /// (A synchronous helper: the same do/catch inline in the async `fetch` crashes the Swift 6.3 compiler.)
    private func manifestChildren(of output: TrackedOutput) throws(YardError) -> [ContentDigest] {
        do {
            return try DirectoryTree.children(of: try cache.read(output.pointer.digest), digest: output.pointer.digest)
        } catch where error.code == .invalidState {
            throw YardError(error.code, "'\(output.pointerPath)' names a manifest yard cannot use. "
                            + error.message.replacingOccurrences(of: "<path>.yard", with: output.pointerPath))
        }
    }

    /// fetch (with repair), then checkout.
    public func pull(from remote: any Remote, targets: [String] = [], from workingDirectory: String, force: Bool = false,
                     progress: any ProgressReporter = SilentProgress()) async throws -> (TransferSummary, CheckoutResult) {
        let summary = try await fetch(from: remote, targets: targets, from: workingDirectory, repair: true, progress: progress)
        let result = try checkout(targets, from: workingDirectory, force: force, progress: progress)
        return (summary, result)
    }
}
