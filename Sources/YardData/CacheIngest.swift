import Foundation
import YardCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whether the cache can clone (FICLONE) files from a given file system. A failed clone is remembered by
/// an empty marker file in the cache root, so later adds read it from the root listing they make anyway
/// and go straight to copying: one attempt per file system, not one per file.
final class CloneSupport: @unchecked Sendable {
    // Unchecked: `unsupported` is guarded by `lock`; the rest is immutable.
    static let markerPrefix = "reflink-unsupported-"
    private let cacheRoot: String
    private let allowed: Bool
    private let lock = NSLock()
    private var unsupported: Set<UInt64>

    /// `allowed` is false when `cache.type` leaves reflink out; `rootNames` is the cache root's listing.
    init(cacheRoot: String, rootNames: [String], allowed: Bool) {
        self.cacheRoot = cacheRoot
        self.allowed = allowed
        unsupported = Set(rootNames.compactMap { name in
            name.hasPrefix(Self.markerPrefix) ? UInt64(name.dropFirst(Self.markerPrefix.count)) : nil
        })
    }

    func shouldTry(_ device: UInt64) -> Bool {
        guard allowed else { return false }
        lock.lock()
        defer { lock.unlock() }
        return !unsupported.contains(device)
    }

    /// Errors that say the file system (or the pair of them) cannot clone at all, as opposed to this file.
    static func meansUnsupported(_ code: Int32) -> Bool {
        code == EOPNOTSUPP || code == ENOTTY || code == EINVAL || code == EXDEV || code == ENOSYS
    }

    func markUnsupported(_ device: UInt64) {
        lock.lock()
        let inserted = unsupported.insert(device).inserted
        lock.unlock()
        guard inserted else { return }
        let marker = open(cacheRoot + "/" + Self.markerPrefix + String(device), O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
        if marker >= 0 { close(marker) }  // best effort: without it the next add tries once more
    }
}

extension ObjectBatch {
    /// Puts a workspace file into the cache in one read: the file is cloned (where its file system can)
    /// or copied while it is hashed, the copy is made durable, and it is staged under the digest its bytes
    /// turned out to have, which is returned. Two files are opened, the source and the new object.
    ///
    /// `expected` is the metadata the scan saw: a file that differs from it, or changes while being read,
    /// is refused rather than stored under a name its bytes never had together. With `verifying`, the
    /// bytes must also hash to that digest (a digest known from the state cache).
    @discardableResult
    func stageWorkspaceFile(_ source: String, expected: FileInfo, verifying known: ContentDigest? = nil,
                            clones: CloneSupport, displayPath: String) throws(YardError) -> ContentDigest {
        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else {
            if errno == ENOENT { throw Self.changedWhileAdding(displayPath) }
            throw YardError(.internalError, "Cannot read '\(displayPath)': \(FileSystem.lastError)")
        }
        defer { close(input) }
        guard let before = FileSystem.info(descriptor: input), before.looksUnchanged(from: expected) else {
            throw Self.changedWhileAdding(displayPath)
        }
        let temporary = cache.temporaryPath()
        let output = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, ObjectCache.objectMode)
        guard output >= 0 else { throw YardError(.internalError, "Cannot write to the cache at \(cache.root): \(FileSystem.lastError)") }
        var staged = false
        defer {
            close(output)
            if !staged { unlink(temporary) }
        }
        let cloned = clone(input, into: output, device: before.device, clones: clones)
        let digest = try FileHasher.digest(of: input, before: before, copyingTo: cloned ? nil : output, shown: displayPath)
        if let known, known != digest { throw Self.changedWhileAdding(displayPath) }
        guard FileSystem.syncData(output) else {
            throw YardError(.internalError, "Cannot write to the cache at \(cache.root): \(FileSystem.lastError)")
        }
        add(temporary, digest)
        staged = true
        return digest
    }

    private func clone(_ input: Int32, into output: Int32, device: UInt64, clones: CloneSupport) -> Bool {
        #if os(Linux)
        guard clones.shouldTry(device) else { return false }
        let ficlone: UInt = 0x4004_9409
        if ioctl(output, ficlone, input) == 0 { return true }
        if CloneSupport.meansUnsupported(errno) { clones.markUnsupported(device) }
        return false
        #else
        return false
        #endif
    }

    static func changedWhileAdding(_ shown: String) -> YardError {
        YardError(.invalidState, "'\(shown)' changed while it was being added; nothing was recorded. Run the command again once it is stable.")
    }
}
