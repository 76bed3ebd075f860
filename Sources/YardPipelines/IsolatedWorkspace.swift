import Foundation
import YardCore
import YardData
import YardJSON

/// A temporary work tree where a stage can run without touching the user's files: a `git worktree` at a
/// recorded commit (`yard reproduce`) or a copy of the current work tree (a sweep point). It shares the
/// repository's data cache, so inputs are restored and outputs stored without copying the cache.
public final class IsolatedWorkspace: Sendable {
    public let root: String
    public let repository: DataRepository
    private let mainRoot: String
    private let isGitWorktree: Bool

    private init(root: String, mainRoot: String, isGitWorktree: Bool) throws(YardError) {
        self.root = root
        self.mainRoot = mainRoot
        self.isGitWorktree = isGitWorktree
        let yard = root + "/" + DataRepository.directoryName
        try FileSystem.createDirectory(yard + "/tmp")
        if !FileSystem.exists(yard + "/config"), let config = try? FileSystem.readFile(mainRoot + "/.yard/config") {
            try FileSystem.writeAtomically(yard + "/config", config)
        }
        let cacheLink = yard + "/cache"
        FileSystem.remove(cacheLink)
        guard symlink(mainRoot + "/.yard/cache", cacheLink) == 0 else {
            throw YardError(.internalError, "Cannot link the data cache into the temporary work tree \(root).")
        }
        // The run cache is shared too: what a sweep point or a reproduction computes is restorable in
        // the user's work tree afterwards.
        let runCache = mainRoot + "/.yard/runcache"
        try FileSystem.createDirectory(runCache)
        FileSystem.remove(yard + "/runcache")
        guard symlink(runCache, yard + "/runcache") == 0 else {
            throw YardError(.internalError, "Cannot link the run cache into the temporary work tree \(root).")
        }
        repository = try DataRepository(root: root)
    }

    static func temporaryFolder(_ label: String) throws(YardError) -> String {
        let base = (ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp")
        let path = base + "/yard-\(label)-\(UUID().uuidString.prefix(8).lowercased())"
        try FileSystem.createDirectory(path)
        return DataRepository.canonicalPath(path)
    }

    /// A detached `git worktree` of `commit`.
    public static func atCommit(_ commit: String, of main: DataRepository) throws(YardError) -> IsolatedWorkspace {
        guard (try? Git.run(["cat-file", "-e", commit + "^{commit}"], in: main.root)) != nil else {
            throw .notFound("The commit \(commit) is not in this git repository; fetch it (git fetch --all) and try again.")
        }
        let folder = try temporaryFolder("reproduce")
        FileSystem.remove(folder)
        do {
            _ = try Git.run(["worktree", "add", "--detach", "--force", folder, commit], in: main.root)
        } catch {
            throw YardError(.internalError, "Cannot create a work tree of \(commit) at \(folder): \(error.message)")
        }
        return try IsolatedWorkspace(root: DataRepository.canonicalPath(folder), mainRoot: main.root, isGitWorktree: true)
    }

    /// A copy of the work tree as it is now: the files git tracks or would track (ignored files, which is
    /// where data lives, are restored from the cache instead), plus yard.lock.
    public static func copyOfWorkTree(_ main: DataRepository, label: String) throws(YardError) -> IsolatedWorkspace {
        guard let listing = try? Git.run(["ls-files", "-z", "--cached", "--others", "--exclude-standard"], in: main.root) else {
            throw .invalid("Sweeps run each point in a copy of the git work tree, but \(main.root) is not a git work tree. Run `git init` and commit your code first.")
        }
        let folder = try temporaryFolder(label)
        for record in listing.split(separator: 0) {
            let path = String(decoding: record, as: UTF8.self)
            if path.hasPrefix(DataRepository.directoryName + "/") && path != ".yard/config" { continue }
            let source = main.root + "/" + path
            guard let info = FileSystem.info(source), info.kind == .file else { continue }
            let parent = PathText.parent(path)
            if !parent.isEmpty { try FileSystem.createDirectory(folder + "/" + parent) }
            // A throw-away copy: no fsync per file, and copyItem keeps the mode (scripts stay executable).
            do {
                try FileManager.default.copyItem(atPath: source, toPath: folder + "/" + path)
            } catch {
                throw YardError(.internalError, "Cannot copy '\(path)' into the temporary work tree \(folder): \(error.localizedDescription)")
            }
        }
        if FileSystem.exists(main.root + "/" + PipelineLock.fileName) {
            try FileSystem.writeAtomically(folder + "/" + PipelineLock.fileName, try FileSystem.readFile(main.root + "/" + PipelineLock.fileName),
                                           durable: false)
        }
        return try IsolatedWorkspace(root: folder, mainRoot: main.root, isGitWorktree: false)
    }

    /// Puts back the data the pointer files and yard.lock name, where the cache has it (what is absent
    /// is left absent; the stage that needs it will say so).
    public func restoreData() {
        let state = repository.openState()
        defer { state.save() }
        for pointer in (try? repository.pointerPaths()) ?? [] {
            _ = try? repository.checkout([pointer], from: root, force: true)
        }
        if let lock = try? PipelineLock.load(repositoryRoot: root) {
            for entry in lock.stages.values {
                for output in entry.outs where repository.cacheHolds(output.snapshot) {
                    try? repository.restore(output.path, to: output.snapshot, state: state)
                }
            }
        }
    }

    public func remove() {
        if isGitWorktree {
            _ = try? Git.run(["worktree", "remove", "--force", root], in: mainRoot)
        }
        if FileSystem.exists(root) { _ = try? FileManager.default.removeItem(atPath: root) }
    }
}

extension ParamsFile {
    /// `root` with the value at a dotted key replaced (objects only; missing levels are created).
    static func setting(_ key: String, to value: JSONValue, in root: JSONValue) -> JSONValue {
        let parts = key.split(separator: ".", maxSplits: 1).map(String.init)
        var members: [(String, JSONValue)] = []
        if case .object(let existing) = root { members = existing }
        let head = parts[0]
        let newValue = parts.count == 1 ? value : setting(parts[1], to: value, in: members.first { $0.0 == head }?.1 ?? .object([]))
        if let index = members.firstIndex(where: { $0.0 == head }) {
            members[index].1 = newValue
        } else {
            members.append((head, newValue))
        }
        return .object(members)
    }

    /// Writes `values` (dotted key → value) into the parameters file at `relative`, as JSON (which every
    /// YAML reader accepts), keeping every other key.
    static func write(_ values: [(String, JSONValue)], into relative: String, repositoryRoot: String) throws(YardError) {
        var root: JSONValue = (try? load(relative, repositoryRoot: repositoryRoot).root) ?? .object([])
        for (key, value) in values { root = setting(key, to: value, in: root) }
        try FileSystem.writeAtomically(repositoryRoot + "/" + relative, JSONWriter.bytes(root) + [0x0A])
    }
}
