import Foundation
import YardCore

/// Tracked data at a git revision or in the work tree.
public enum DataRevision: Sendable, Equatable {
    case git(String)
    case workspace
}

/// Per-file changes between two revisions, as paths relative to the repository root.
public struct DataDiff: Sendable, Equatable {
    public var added: [String] = []
    public var deleted: [String] = []
    public var modified: [String] = []
    public var isEmpty: Bool { added.isEmpty && deleted.isEmpty && modified.isEmpty }
}

extension DataRepository {
    /// Compares tracked data between two revisions (a git revision's pointers, or the work tree's bytes).
    /// Folder manifests of a revision must be in the cache (fetch that revision's data first).
    public func diff(from old: DataRevision, to new: DataRevision, from workingDirectory: String) throws(YardError) -> DataDiff {
        let before = try files(at: old, from: workingDirectory)
        let after = try files(at: new, from: workingDirectory)
        var diff = DataDiff()
        for (path, digest) in after {
            if let previous = before[path] {
                if previous != digest { diff.modified.append(path) }
            } else {
                diff.added.append(path)
            }
        }
        diff.deleted = before.keys.filter { after[$0] == nil }
        diff.added.sort()
        diff.modified.sort()
        diff.deleted.sort()
        return diff
    }

    /// Every tracked file at a revision: path relative to the root → digest.
    func files(at revision: DataRevision, from workingDirectory: String) throws(YardError) -> [String: ContentDigest] {
        var files: [String: ContentDigest] = [:]
        switch revision {
        case .git(let name):
            for (pointerPath, pointer) in try GitRevisions(root: root).pointers(at: name) {
                let folder = PathText.parent(pointerPath)
                let target = folder.isEmpty ? pointer.path : folder + "/" + pointer.path
                if pointer.kind == .file {
                    files[target] = pointer.digest
                } else {
                    do {
                        for entry in try treeEntries(pointer.digest, pointerPath: "\(name):\(pointerPath)").entries {
                            files[target + "/" + entry.path] = entry.digest
                        }
                    } catch where error.code == .resourceDoesNotExist {
                        throw .notFound("The manifest of '\(target)' at \(name) is not in the cache; check out \(name) and run `yard data fetch` first.")
                    }
                }
            }
        case .workspace:
            let state = loadState()
            defer { state.save() }
            for output in try outputs([], from: workingDirectory) {
                switch try workspaceContent(of: output.targetPath, state: state, progress: SilentProgress()).content {
                case .missing: break
                case .file(let digest, _): files[output.targetPath] = digest
                case .directory(let entries, _):
                    for entry in entries { files[output.targetPath + "/" + entry.path] = entry.digest }
                }
            }
        }
        return files
    }
}
