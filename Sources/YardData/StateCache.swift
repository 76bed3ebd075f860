import Foundation
import YardCore

/// Remembers (path, inode, size, mtime) → digest so unchanged files are never hashed twice.
///
/// Why a binary file and not SQLite: every command reads the whole cache once into a dictionary and looks
/// each file up in memory, so a no-op status on 100,000 files costs one 6 MB read instead of 100,000
/// queries; YardData stays free of GRDB, as the architecture asks; and a plain file has none of SQLite's
/// locking trouble on NFS (DVC #1918). It is rewritten whole, atomically, only when something changed.
/// Two processes saving at once lose one side's new entries, which only costs a re-hash later.
///
/// Racy entries: a file written in the same clock tick as it was hashed could change again without its
/// mtime moving, so entries modified less than `racyWindow` before the hash began are not trusted
/// (Git's "racily clean" rule).
public final class StateCache: @unchecked Sendable {
    // Unchecked: `entries` and `dirty` are guarded by `lock`.
    public struct Entry: Sendable, Equatable {
        public var inode: UInt64
        public var size: Int64
        public var modifiedNanoseconds: Int64
        public var digest: ContentDigest
    }

    static let magic = Array("YARDSTATE1\n".utf8)
    static let racyWindowNanoseconds: Int64 = 100_000_000

    public let path: String
    private var entries: [String: Entry] = [:]
    private var loaded = false
    private var dirty = false
    private let lock = NSLock()

    /// A cache backed by `path`, read on first use (a no-op status answered by folder fingerprints never
    /// reads it); a missing or unreadable file is an empty cache, never an error.
    public init(path: String) {
        self.path = path
    }

    /// Reads the file on first use. Callers hold `lock`.
    private func loadIfNeeded() {
        guard !loaded else { return }
        loaded = true
        entries = (try? FileSystem.readFile(path)).flatMap(Self.decode) ?? [:]
    }

    public var count: Int {
        lock.lock()
        defer { lock.unlock() }
        loadIfNeeded()
        return entries.count
    }

    /// The digest recorded for `relativePath`, if the file still has the recorded metadata.
    public func digest(for relativePath: String, info: FileInfo) -> ContentDigest? {
        lock.lock()
        defer { lock.unlock() }
        loadIfNeeded()
        guard let entry = entries[relativePath], entry.inode == info.inode, entry.size == info.size,
              entry.modifiedNanoseconds == info.modifiedNanoseconds else { return nil }
        return entry.digest
    }

    /// Records a digest computed at `hashedAt` (nanoseconds since the epoch).
    public func record(_ relativePath: String, info: FileInfo, digest: ContentDigest, hashedAt: Int64) {
        guard info.modifiedNanoseconds < hashedAt - Self.racyWindowNanoseconds else { return }
        let entry = Entry(inode: info.inode, size: info.size, modifiedNanoseconds: info.modifiedNanoseconds, digest: digest)
        lock.lock()
        loadIfNeeded()
        if entries[relativePath] != entry {
            entries[relativePath] = entry
            dirty = true
        }
        lock.unlock()
    }

    /// Writes the cache if anything changed. Failures are ignored: the cache is an optimisation.
    public func save() {
        lock.lock()
        guard dirty else {
            lock.unlock()
            return
        }
        let bytes = Self.encode(entries)
        dirty = false
        lock.unlock()
        try? FileSystem.createDirectory(PathText.parent(path))
        // Not fsynced: after a power cut an old or unreadable cache only costs re-hashing.
        try? FileSystem.writeAtomically(path, bytes, durable: false)
    }

    // MARK: Format: magic, then per entry: u16 path length, path, u64 inode, i64 size, i64 mtime, 32-byte digest.

    static func encode(_ entries: [String: Entry]) -> [UInt8] {
        var bytes = magic
        bytes.reserveCapacity(magic.count + entries.count * 90)
        for (path, entry) in entries {
            let utf8 = Array(path.utf8)
            guard utf8.count <= Int(UInt16.max) else { continue }
            append(UInt16(utf8.count), to: &bytes)
            bytes.append(contentsOf: utf8)
            append(entry.inode, to: &bytes)
            append(UInt64(bitPattern: entry.size), to: &bytes)
            append(UInt64(bitPattern: entry.modifiedNanoseconds), to: &bytes)
            bytes.append(contentsOf: rawDigest(entry.digest))
        }
        return bytes
    }

    static func decode(_ bytes: [UInt8]) -> [String: Entry]? {
        guard bytes.count >= magic.count, Array(bytes[0..<magic.count]) == magic else { return nil }
        var entries: [String: Entry] = [:]
        var offset = magic.count
        return bytes.withUnsafeBytes { raw -> [String: Entry]? in
            func load<T: FixedWidthInteger>(_: T.Type) -> T? {
                guard offset + MemoryLayout<T>.size <= raw.count else { return nil }
                let value = raw.loadUnaligned(fromByteOffset: offset, as: T.self)
                offset += MemoryLayout<T>.size
                return T(littleEndian: value)
            }
            while offset < raw.count {
                guard let length = load(UInt16.self), offset + Int(length) <= raw.count else { return nil }
                let path = String(decoding: UnsafeRawBufferPointer(rebasing: raw[offset..<offset + Int(length)]), as: UTF8.self)
                offset += Int(length)
                guard let inode = load(UInt64.self), let size = load(UInt64.self), let mtime = load(UInt64.self),
                      offset + 32 <= raw.count else { return nil }
                let digest = ContentDigest(bytes: UnsafeRawBufferPointer(rebasing: raw[offset..<offset + 32]))
                offset += 32
                entries[path] = Entry(inode: inode, size: Int64(bitPattern: size), modifiedNanoseconds: Int64(bitPattern: mtime), digest: digest)
            }
            return entries
        }
    }

    private static func append<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    private static func rawDigest(_ digest: ContentDigest) -> [UInt8] {
        var raw = [UInt8]()
        raw.reserveCapacity(32)
        var iterator = digest.hex.utf8.makeIterator()
        while let high = iterator.next(), let low = iterator.next() {
            raw.append(nibble(high) << 4 | nibble(low))
        }
        return raw
    }

    private static func nibble(_ character: UInt8) -> UInt8 {
        character <= 0x39 ? character - 0x30 : character - 0x61 + 10
    }
}
