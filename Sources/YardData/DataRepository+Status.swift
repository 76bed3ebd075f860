import Foundation
import YardCore

/// How one tracked output compares with its pointer.
public struct OutputStatus: Sendable, Equatable {
    public enum State: String, Sendable {
        /// The work tree holds exactly the recorded bytes.
        case unchanged
        /// The work tree differs from the pointer (edited, or not yet re-added).
        case modified
        /// The tracked path is missing from the work tree (run checkout).
        case missing
    }

    public var pointerPath: String
    public var targetPath: String
    public var state: State
    /// False when the recorded content is not in the local cache (run fetch or pull).
    public var inCache: Bool
    /// For folders: per-file changes against the recorded manifest (when it is in the cache).
    public var changes: FileChanges?
}

/// Per-file differences between two versions of a folder (paths inside the folder).
public struct FileChanges: Sendable, Equatable {
    public var added: [String] = []
    public var deleted: [String] = []
    public var modified: [String] = []

    public var isEmpty: Bool { added.isEmpty && deleted.isEmpty && modified.isEmpty }

    /// Compares two sorted entry lists by path.
    public static func between(_ old: [TreeEntry], _ new: [TreeEntry]) -> FileChanges {
        var changes = FileChanges()
        var oldByPath: [String: TreeEntry] = [:]
        oldByPath.reserveCapacity(old.count)
        for entry in old { oldByPath[entry.path] = entry }
        for entry in new {
            if let previous = oldByPath.removeValue(forKey: entry.path) {
                if previous.digest != entry.digest || previous.isExecutable != entry.isExecutable { changes.modified.append(entry.path) }
            } else {
                changes.added.append(entry.path)
            }
        }
        changes.deleted = oldByPath.keys.sorted()
        return changes
    }
}

extension DataRepository {
    /// Compares each tracked output with the work tree. Unchanged files cost a `stat` and a lookup; an
    /// unchanged folder whose listing was fingerprinted before costs its scan alone.
    public func status(_ targets: [String] = [], from workingDirectory: String,
                       progress: any ProgressReporter = SilentProgress()) throws(YardError) -> [OutputStatus] {
        let state = loadState()
        let fingerprints = loadFingerprints()
        defer {
            state.save()
            fingerprints.save()
        }
        var results: [OutputStatus] = []
        for output in try outputs(targets, from: workingDirectory) {
            let inCache = cache.contains(output.pointer.digest)
            var status = OutputStatus(pointerPath: output.pointerPath, targetPath: output.targetPath, state: .unchanged,
                                      inCache: inCache, changes: nil)
            var scanned: [ScannedFile]?
            var fingerprint: ContentDigest?
            if output.pointer.kind == .directory, FileSystem.info(absolute(output.targetPath))?.kind == .directory {
                let listing = try scanWithFingerprint(output.targetPath)
                if let found = listing.fingerprint, fingerprints.root(for: found) == output.pointer.digest {
                    results.append(status)
                    continue
                }
                (scanned, fingerprint) = listing
            }
            let (content, _) = try workspaceContent(of: output.targetPath, state: state, progress: progress, phase: "Checking",
                                                    scanned: scanned)
            switch content {
            case .missing:
                status.state = .missing
            case .file(let digest, _):
                if output.pointer.kind != .file || digest != output.pointer.digest { status.state = .modified }
            case .directory(let entries, _):
                let tree = DirectoryTree(entries: entries, maxLeafEntries: maxLeafEntries)
                if let fingerprint { fingerprints.record(fingerprint, root: tree.root) }
                if output.pointer.kind != .directory {
                    status.state = .modified
                } else if tree.root != output.pointer.digest {
                    // Different roots usually mean different files, but a manifest split with another node
                    // size has another root for the same files, so the entries decide.
                    if inCache, let recorded = try? treeEntries(output.pointer.digest) {
                        let changes = FileChanges.between(recorded.entries, entries)
                        if !changes.isEmpty {
                            status.state = .modified
                            status.changes = changes
                        }
                    } else {
                        status.state = .modified
                    }
                }
            }
            results.append(status)
        }
        return results
    }
}
