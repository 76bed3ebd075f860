import Crypto
import Foundation
import YardCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A content-addressed folder of objects: `<root>/<first 2 hex>/<other 62 hex>`, read-only (0444).
/// The same layout serves as the local cache, a folder remote and the server's object store.
///
/// Atomicity: an object is written under `<root>/tmp/`, made durable, then renamed to its name; its name
/// is only ever a complete, verified object. A crash leaves at most a stray file in `tmp/`, which no
/// listing reads and `removeTemporaries` deletes.
public struct ObjectCache: Sendable {
    public let root: String
    public static let objectMode: mode_t = 0o444

    public init(root: String) throws(YardError) {
        self.root = root
        try FileSystem.createDirectory(root + "/tmp")
    }

    public func path(for digest: ContentDigest) -> String {
        let hex = digest.hex
        return root + "/" + hex.prefix(2) + "/" + hex.dropFirst(2)
    }

    public func contains(_ digest: ContentDigest) -> Bool {
        FileSystem.exists(path(for: digest))
    }

    public func size(of digest: ContentDigest) -> Int64? {
        FileSystem.info(path(for: digest))?.size
    }

    public func read(_ digest: ContentDigest) throws(YardError) -> [UInt8] {
        guard contains(digest) else {
            throw YardError.notFound("Object \(digest) is not in the cache at \(root); run `yard data fetch` or `yard data pull`.")
        }
        return try FileSystem.readFile(path(for: digest))
    }

    func temporaryPath() -> String {
        root + "/tmp/" + TemporaryNames.shared.next()
    }

    /// Re-hashes an object: true when its bytes still match its name.
    public func isIntact(_ digest: ContentDigest) -> Bool {
        guard let (actual, _) = try? FileHasher.hash(path(for: digest)) else { return false }
        return actual == digest
    }

    public func remove(_ digest: ContentDigest) {
        unlink(path(for: digest))
    }

    /// Every object present, in no particular order. Names that are not digests (strays) are skipped.
    public func allObjects() throws(YardError) -> [ContentDigest] {
        var digests: [ContentDigest] = []
        for (prefix, kind) in try FileSystem.list(root) where prefix.utf8.count == 2 && kind != .file {
            for (rest, _) in (try? FileSystem.list(root + "/" + prefix)) ?? [] {
                if let digest = ContentDigest(prefix + rest) { digests.append(digest) }
            }
        }
        return digests
    }

    /// Deletes temporary files a crashed writer left behind. Only files older than `age` seconds go, so a
    /// writer still running in another process keeps its file.
    @discardableResult
    public func removeTemporaries(olderThan age: TimeInterval = 3600) -> Int {
        let limit = FileSystem.nowNanoseconds() - Int64(age * 1_000_000_000)
        var removed = 0
        for (name, _) in (try? FileSystem.list(root + "/tmp")) ?? [] {
            let path = root + "/tmp/" + name
            if let info = FileSystem.info(path), info.modifiedNanoseconds <= limit {
                FileSystem.remove(path)
                removed += 1
            }
        }
        return removed
    }

    /// Names directly under the root (the two-hex-digit prefix folders, `tmp`, markers), in one listing.
    func rootNames() -> [String] {
        ((try? FileSystem.list(root)) ?? []).map(\.name)
    }

    public func beginBatch() -> ObjectBatch {
        ObjectBatch(cache: self)
    }

    /// A writer whose bytes are hashed as they arrive; see `ObjectBatch.finish`.
    public func beginObject() throws(YardError) -> HashingObjectWriter {
        try HashingObjectWriter(temporary: temporaryPath())
    }
}

/// Unique temporary names without a system call each (UUID() reads /dev/urandom every time): the process
/// id, a random tag drawn once, and a counter. Files are still created with O_EXCL.
final class TemporaryNames: @unchecked Sendable {
    // Unchecked: `counter` is guarded by `lock`.
    static let shared = TemporaryNames()
    private let prefix = "\(getpid())-\(UInt64.random(in: 0...UInt64.max))-"
    private let lock = NSLock()
    private var counter: UInt64 = 0

    func next() -> String {
        lock.lock()
        counter += 1
        let value = counter
        lock.unlock()
        return prefix + String(value)
    }
}

/// Objects staged as temporary files and published together. Each temporary file is made durable by
/// whoever wrote it (a data sync of that file alone, on the writer's thread); `commit` renames them to
/// their names and syncs each folder that gained a name. A batch that is never committed leaves only
/// temporary files, and no name ever points at bytes that are not on disk in full.
public final class ObjectBatch: @unchecked Sendable {
    // Unchecked: `staged` is guarded by `lock`; everything else is immutable.
    public let cache: ObjectCache
    private let lock = NSLock()
    private var staged: [(temporary: String, digest: ContentDigest)] = []

    init(cache: ObjectCache) {
        self.cache = cache
    }

    /// Stages bytes held in memory (tree nodes).
    public func stageBytes(_ bytes: [UInt8], digest: ContentDigest) throws(YardError) {
        let temporary = cache.temporaryPath()
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, ObjectCache.objectMode)
        guard descriptor >= 0 else { throw YardError(.internalError, "Cannot write to the cache: \(FileSystem.lastError)") }
        let written = bytes.withUnsafeBytes { FileSystem.writeAll(descriptor, $0) } && FileSystem.syncData(descriptor)
        let reason = FileSystem.lastError
        close(descriptor)
        guard written else {
            unlink(temporary)
            throw YardError(.internalError, "Cannot write to the cache: \(reason)")
        }
        add(temporary, digest)
    }

    /// Verifies a finished writer against the digest it was supposed to carry and stages it.
    public func finish(_ writer: HashingObjectWriter, expected: ContentDigest, source: String) throws(YardError) {
        let actual = try writer.close()
        guard actual == expected else {
            unlink(writer.temporary)
            throw YardError(.invalidParameterValue, "Object \(expected) from \(source) arrived with digest \(actual): it is corrupt there and was not stored.")
        }
        add(writer.temporary, expected)
    }

    func add(_ temporary: String, _ digest: ContentDigest) {
        lock.lock()
        staged.append((temporary, digest))
        lock.unlock()
    }

    public var count: Int {
        lock.lock()
        defer { lock.unlock() }
        return staged.count
    }

    /// Renames each staged (already durable) file to its object name, then syncs every folder that gained
    /// a name, in parallel. No name is probed first: a rename that finds the object present drops the
    /// staged copy instead. Prefix folders are created only when the cache's root listing lacks them.
    /// Returns how many objects were new.
    @discardableResult
    public func commit() throws(YardError) -> Int {
        lock.lock()
        let items = staged
        staged.removeAll()
        lock.unlock()
        if items.isEmpty { return 0 }
        var published = 0
        var present = Set(cache.rootNames())
        var created = false
        var touched = Set<String>()
        for (index, item) in items.enumerated() {
            let prefix = String(item.digest.hex.prefix(2))
            if !present.contains(prefix) {
                if mkdir(cache.root + "/" + prefix, 0o755) == 0 { created = true }
                present.insert(prefix)
            }
            touched.insert(prefix)
            switch FileSystem.publish(item.temporary, as: cache.path(for: item.digest)) {
            case .created: published += 1
            case .alreadyPresent: break
            case .failed:
                let reason = FileSystem.lastError
                for rest in items[index...] { unlink(rest.temporary) }
                throw YardError(.internalError, "Cannot store object \(item.digest) in \(cache.root): \(reason)")
            }
        }
        let folders = touched.map { cache.root + "/" + $0 } + (created ? [cache.root] : [])
        try ParallelWork.forEach(folders.count, width: ParallelWork.blockingWidth) { index throws(YardError) in
            FileSystem.syncDirectory(folders[index])
        }
        return published
    }

    /// Drops everything staged (used when a later step fails).
    public func discard() {
        lock.lock()
        let items = staged
        staged.removeAll()
        lock.unlock()
        for item in items { unlink(item.temporary) }
    }
}

/// Receives an object's bytes in pieces (a download, an upload), hashing them on the way to disk.
public final class HashingObjectWriter: @unchecked Sendable {
    // Unchecked: one transfer task owns a writer from creation to `close`.
    public let temporary: String
    private var descriptor: Int32
    private var hasher = SHA256()
    public private(set) var bytesWritten: Int64 = 0

    init(temporary: String) throws(YardError) {
        self.temporary = temporary
        descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, ObjectCache.objectMode)
        guard descriptor >= 0 else {
            throw YardError(.internalError, "Cannot create a temporary object file: \(FileSystem.lastError)")
        }
    }

    public func append(_ bytes: UnsafeRawBufferPointer) throws(YardError) {
        hasher.update(bufferPointer: bytes)
        guard FileSystem.writeAll(descriptor, bytes) else {
            let reason = FileSystem.lastError
            abort()
            throw YardError(.internalError, "Cannot write a temporary object file: \(reason)")
        }
        bytesWritten += Int64(bytes.count)
    }

    /// Makes the bytes durable, closes the file and returns the digest of everything appended.
    func close() throws(YardError) -> ContentDigest {
        guard descriptor >= 0 else { throw YardError(.internalError, "The object write was aborted.") }
        guard FileSystem.syncData(descriptor) else {
            let reason = FileSystem.lastError
            abort()
            throw YardError(.internalError, "Cannot write a temporary object file: \(reason)")
        }
        #if canImport(Glibc)
        Glibc.close(descriptor)
        #else
        Darwin.close(descriptor)
        #endif
        descriptor = -1
        return ContentDigest(hasher.finalize())
    }

    public func abort() {
        if descriptor >= 0 {
            #if canImport(Glibc)
            Glibc.close(descriptor)
            #else
            Darwin.close(descriptor)
            #endif
            descriptor = -1
        }
        unlink(temporary)
    }

    /// Copies a whole file through the writer (folder remotes).
    public func appendFile(_ path: String) throws(YardError) {
        let input = open(path, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else {
            throw YardError(errno == ENOENT ? .resourceDoesNotExist : .internalError, "Cannot read '\(path)': \(FileSystem.lastError)")
        }
        defer {
            #if canImport(Glibc)
            Glibc.close(input)
            #else
            Darwin.close(input)
            #endif
        }
        try FileSystem.readChunks(input, path: path) { chunk throws(YardError) in try append(chunk) }
    }

    deinit {
        if descriptor >= 0 { abort() }
    }
}
