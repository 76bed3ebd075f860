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
    /// A second name for the cache object's inode: instant, but the file is read-only.
    case hardlink
    /// A full copy: works everywhere.
    case copy

    /// The order the issue asks for: the best the file system supports, falling back to a copy.
    public static let defaultOrder: [LinkKind] = [.reflink, .hardlink, .copy]

    /// Parses a config value such as `reflink,hardlink,copy`.
    public static func parseList(_ text: String) throws(YardError) -> [LinkKind] {
        var kinds: [LinkKind] = []
        for part in text.split(separator: ",") {
            let name = part.trimmingCharacters(in: .whitespaces)
            guard let kind = LinkKind(rawValue: name) else {
                throw .invalid("Unknown cache.type '\(name)' in .yard/config: use a comma-separated list of reflink, hardlink and copy.")
            }
            kinds.append(kind)
        }
        if kinds.isEmpty { throw .invalid("cache.type in .yard/config is empty: use e.g. reflink,hardlink,copy.") }
        return kinds
    }
}

/// The file system calls behind each link kind. Each creates `destination`, which must not exist yet.
enum Linker {
    /// Tries each kind in order; returns the one that worked. Errors that a fallback cannot fix
    /// (missing source, no space) are thrown at once.
    static func place(_ source: String, at destination: String, kinds: [LinkKind], mode: mode_t) throws(YardError) -> LinkKind {
        for kind in kinds {
            switch kind {
            case .reflink:
                if reflink(source, destination, mode: mode) { return .reflink }
            case .hardlink:
                if link(source, destination) == 0 { return .hardlink }
            case .copy:
                try copy(source, destination, mode: mode)
                return .copy
            }
        }
        throw YardError(.internalError, "None of the link types \(kinds.map(\.rawValue).joined(separator: ",")) could place '\(destination)'; add copy to cache.type in .yard/config.")
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

    /// An in-kernel copy (copy_file_range) where possible, else read and write.
    static func copy(_ source: String, _ destination: String, mode: mode_t) throws(YardError) {
        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw YardError(.internalError, "Cannot read '\(source)': \(FileSystem.lastError)") }
        defer { close(input) }
        let output = open(destination, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard output >= 0 else { throw YardError(.internalError, "Cannot create '\(destination)': \(FileSystem.lastError)") }
        defer { close(output) }
        #if os(Linux)
        while let copyFileRange = LinuxCalls.copyFileRange {
            let copied = copyFileRange(input, nil, output, nil, 1 << 30, 0)
            if copied > 0 { continue }
            if copied == 0 { return }
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
    }
}
