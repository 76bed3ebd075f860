import Crypto
import Foundation
import YardCore

/// Remembers which manifest a tracked folder's exact listing produced, so a no-op `status` of a big folder
/// costs one scan: no state-cache load, no per-file lookup, no manifest rebuilt.
///
/// A fingerprint is the SHA-256 of the folder's path, the manifest split size and every file's path,
/// inode, size, mtime and executable bit in scan order. The same fingerprint means the same listing with
/// the same metadata, which the state cache already trusts to mean the same bytes; a different scan order
/// only costs a miss. Folders holding a file modified within the racy window get no fingerprint (the file
/// could still change without its mtime moving), as the state cache does per file.
///
/// Stored as `<fingerprint hex> <root hex>` lines in `.yard/tmp/folders`, newest last, at most
/// `capacity` of them; losing the file only costs a slower status.
final class FolderFingerprints: @unchecked Sendable {
    // Unchecked: `roots`, `order` and `dirty` are guarded by `lock`.
    static let capacity = 512
    let path: String
    private let lock = NSLock()
    private var roots: [ContentDigest: ContentDigest] = [:]
    private var order: [ContentDigest] = []
    private var dirty = false

    init(path: String) {
        self.path = path
        guard let bytes = try? FileSystem.readFile(path) else { return }
        for line in bytes.split(separator: 0x0A) {
            let fields = line.split(separator: 0x20)
            guard fields.count == 2, let fingerprint = ContentDigest(String(decoding: fields[0], as: UTF8.self)),
                  let root = ContentDigest(String(decoding: fields[1], as: UTF8.self)) else { continue }
            if roots.updateValue(root, forKey: fingerprint) == nil { order.append(fingerprint) }
        }
    }

    /// The fingerprint of a scan, or nil when a file is too recent to be trusted (`trustedBefore` is the
    /// scan's start minus the racy window, in nanoseconds since the epoch).
    static func of(folder relative: String, maxLeafEntries: Int, files: [ScannedFile], trustedBefore: Int64) -> ContentDigest? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(64 + files.count * 64)
        bytes.append(contentsOf: relative.utf8)
        bytes.append(0)
        append(UInt64(maxLeafEntries), to: &bytes)
        for file in files {
            guard file.info.modifiedNanoseconds < trustedBefore else { return nil }
            bytes.append(contentsOf: file.path.utf8)
            bytes.append(0)
            append(file.info.inode, to: &bytes)
            append(UInt64(bitPattern: file.info.size), to: &bytes)
            append(UInt64(bitPattern: file.info.modifiedNanoseconds), to: &bytes)
            bytes.append(file.info.isExecutable ? 1 : 0)
            bytes.append(file.linked == nil ? 0 : 1)
        }
        return ContentDigest(SHA256.hash(data: bytes))
    }

    private static func append(_ value: UInt64, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    func root(for fingerprint: ContentDigest) -> ContentDigest? {
        lock.lock()
        defer { lock.unlock() }
        return roots[fingerprint]
    }

    func record(_ fingerprint: ContentDigest, root: ContentDigest) {
        lock.lock()
        defer { lock.unlock() }
        guard roots[fingerprint] != root else { return }
        if roots.updateValue(root, forKey: fingerprint) == nil { order.append(fingerprint) }
        while order.count > Self.capacity { roots[order.removeFirst()] = nil }
        dirty = true
    }

    /// Writes the file if anything changed; failures are ignored (it is an optimisation).
    func save() {
        lock.lock()
        guard dirty else {
            lock.unlock()
            return
        }
        var text = ""
        for fingerprint in order { text += fingerprint.hex + " " + roots[fingerprint]!.hex + "\n" }
        dirty = false
        lock.unlock()
        try? FileSystem.createDirectory(PathText.parent(path))
        try? FileSystem.writeAtomically(path, Array(text.utf8), durable: false)
    }
}

extension DataRepository {
    var fingerprintsPath: String { yardDirectory + "/tmp/folders" }

    func loadFingerprints() -> FolderFingerprints {
        FolderFingerprints(path: fingerprintsPath)
    }

    /// Lists a tracked folder and fingerprints the listing (nil when a file is too recent to trust).
    func scanWithFingerprint(_ relative: String) throws(YardError) -> (files: [ScannedFile], fingerprint: ContentDigest?) {
        let trustedBefore = FileSystem.nowNanoseconds() - StateCache.racyWindowNanoseconds
        let files = try scan(directory: absolute(relative), display: relative)
        return (files, FolderFingerprints.of(folder: relative, maxLeafEntries: maxLeafEntries, files: files, trustedBefore: trustedBefore))
    }
}
