import Foundation
import YardCore

/// The last line of defence before checkout writes or deletes a path: independent of how the path was
/// built (pointer files and manifests are validated when decoded), it must lie inside the repository,
/// outside `.git` and `.yard`, and every folder on the way that already exists must resolve inside the
/// repository too — so a symbolic link planted in the work tree cannot send a write or delete elsewhere.
/// The last component itself is never followed: checkout replaces it by rename or unlinks it.
enum ContainedPath {
    /// Throws unless `absolute` is safe to create, replace or delete under the repository at `root`.
    static func check(_ absolute: String, root: String) throws(YardError) {
        guard absolute.hasPrefix(root + "/") else { throw refused(absolute, root: root, "it is not inside the repository") }
        let relative = String(absolute.dropFirst(root.count + 1))
        if let reason = PathText.unsafeReason(relative) { throw refused(absolute, root: root, reason) }
        // The deepest folder on the way that exists, resolved through any symbolic links.
        var ancestor = PathText.parent(absolute)
        while ancestor.count > root.count, FileSystem.info(ancestor) == nil { ancestor = PathText.parent(ancestor) }
        let realRoot = DataRepository.canonical(root)
        // realpath itself, not `canonical`: its lexical fallback would wave a dangling link through.
        guard let resolvedPointer = realpath(ancestor, nil) else {
            throw refused(absolute, root: root, "'\(PathText.shown(ancestor))' cannot be resolved (\(FileSystem.lastError); a dangling symbolic link?)")
        }
        let resolved = String(cString: resolvedPointer)
        free(resolvedPointer)
        if resolved == realRoot { return }
        guard resolved.hasPrefix(realRoot + "/") else {
            throw refused(absolute, root: root, "a folder on the way is a symbolic link to '\(resolved)', outside the repository")
        }
        let first = resolved.dropFirst(realRoot.count + 1).split(separator: "/").first.map(String.init) ?? ""
        if PathText.reservedNames.contains(first.lowercased()) {
            throw refused(absolute, root: root, "a folder on the way is a symbolic link into \(first)/")
        }
    }

    private static func refused(_ absolute: String, root: String, _ reason: String) -> YardError {
        YardError(.invalidState, "Refusing to write or delete '\(PathText.shown(absolute))': \(reason). Nothing outside \(root) is ever changed; check the pointer files (restore them from git) and remove any symbolic link that leads out of the repository.")
    }
}
