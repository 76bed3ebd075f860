import Crypto
import Foundation
import YardCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How a file gets from the cache into the workspace (and into the cache from the workspace).
public enum LinkKind: String, Sendable, CaseIterable {
    /// Copy-on-write clone: instant, no extra space, safe to edit. Btrfs, XFS with reflink, APFS.
    case reflink
    /// A full copy, hashed as it is written and refused if the cache object is corrupt: works everywhere.
    case copy
    /// Opt-in. A second name for the cache object's inode: instant and no extra space, but the file IS the
    /// cache object: writing into it in place (or as root, who ignores its 0444 mode) corrupts the cache
    /// for every version that uses those bytes.
    case hardlink
    /// Opt-in. A symbolic link to the cache object: instant, no extra space, read-only; the same caveat
    /// as hardlink for writes through it, and the data disappears if the cache is cleaned.
    case symlink

    /// Checkout's default: a clone where the file system can, else a verified copy. Never a link to the
    /// cache object unless `cache.type` asks for one.
    public static let defaultOrder: [LinkKind] = [.reflink, .copy]

    /// Parses a config value such as `reflink,copy`.
    public static func parseList(_ text: String) throws(YardError) -> [LinkKind] {
        var kinds: [LinkKind] = []
        for part in text.split(separator: ",") {
            let name = part.trimmingCharacters(in: .whitespaces)
            guard let kind = LinkKind(rawValue: name) else {
                throw .invalid("Unknown link type '\(name)' (cache.type in .yard/config, or --link): use a comma-separated list of reflink, copy, hardlink and symlink (default reflink,copy).")
            }
            kinds.append(kind)
        }
        if kinds.isEmpty { throw .invalid("The link type list (cache.type in .yard/config, or --link) is empty: use e.g. reflink,copy.") }
        return kinds
    }
}

/// The file system calls behind each link kind. Each creates `destination`, which must not exist yet.
enum Linker {
    /// Tries each kind in order; returns the one that worked. Errors that a fallback cannot fix
    /// (missing source, no space, a corrupt source) are thrown at once. With `expected`, a copy is hashed
    /// while it is written and removed, with an error, if the bytes do not match.
    static func place(_ source: String, at destination: String, kinds: [LinkKind], mode: mode_t,
                      expected: ContentDigest? = nil, shownDestination: String? = nil) throws(YardError) -> LinkKind {
        for kind in kinds {
            switch kind {
            case .reflink:
                if reflink(source, destination, mode: mode) { return .reflink }
            case .hardlink:
                if link(source, destination) == 0 { return .hardlink }
            case .symlink:
                if symlink(source, destination) == 0 { return .symlink }
            case .copy:
                try copy(source, destination, mode: mode, expected: expected, shownDestination: shownDestination ?? destination)
                return .copy
            }
        }
        throw YardError(.internalError, "None of the link types \(kinds.map(\.rawValue).joined(separator: ",")) could place '\(shownDestination ?? destination)'; add copy to cache.type in .yard/config.")
    }

    /// FICLONE on Linux; false when the file system cannot clone (ext4, tmpfs, across devices).
    static func reflink(_ source: String, _ destination: String, mode: mode_t) -> Bool {
        #if os(Linux)
        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { return false }
        defer { close(input) }
        let output = open(destination, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard output >= 0 else { return false }
        let ficlone: UInt = 0x4004_9409
        let cloned = ioctl(output, ficlone, input) == 0
        close(output)
        if !cloned { unlink(destination) }
        return cloned
        #else
        return clonefile(source, destination, 0) == 0
        #endif
    }

    /// An in-kernel copy (copy_file_range) where possible, else read and write. With `expected`, the bytes
    /// are read, hashed and written here instead, and a mismatch removes the copy and throws: a corrupt
    /// cache object is never placed.
    static func copy(_ source: String, _ destination: String, mode: mode_t, expected: ContentDigest? = nil,
                     shownDestination: String? = nil) throws(YardError) {
        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw YardError(.internalError, "Cannot read '\(source)': \(FileSystem.lastError)") }
        defer { close(input) }
        let output = open(destination, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard output >= 0 else { throw YardError(.internalError, "Cannot create '\(destination)': \(FileSystem.lastError)") }
        var complete = false
        defer {
            close(output)
            if !complete { unlink(destination) }  // never leave a partial or unverified copy behind
        }
        guard let expected else {
            #if os(Linux)
            while let copyFileRange = LinuxCalls.copyFileRange {
                let copied = copyFileRange(input, nil, output, nil, 1 << 30, 0)
                if copied > 0 { continue }
                if copied == 0 { complete = true; return }
                if errno == EINTR { continue }
                if errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP { break }
                throw YardError(.internalError, "Cannot copy '\(source)': \(FileSystem.lastError)")
            }
            #endif
            try FileSystem.readChunks(input, path: source) { chunk throws(YardError) in
                guard FileSystem.writeAll(output, chunk) else {
                    throw YardError(.internalError, "Cannot write '\(destination)': \(FileSystem.lastError)")
                }
            }
            complete = true
            return
        }
        var hasher = SHA256()
        try FileSystem.readChunks(input, path: source) { chunk throws(YardError) in
            hasher.update(bufferPointer: chunk)
            guard FileSystem.writeAll(output, chunk) else {
                throw YardError(.internalError, "Cannot write '\(destination)': \(FileSystem.lastError)")
            }
        }
        let actual = ContentDigest(hasher.finalize())
        guard actual == expected else {
            throw YardError(.invalidState, "The cache object \(expected) is corrupt (its bytes now hash to \(actual)), so '\(shownDestination ?? destination)' was not written. Run `yard data verify --remove-corrupted`, then `yard data pull` to download a good copy (or `yard data add` the data again if you still have it).")
        }
        complete = true
    }
}
