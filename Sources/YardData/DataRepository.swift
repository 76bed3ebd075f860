import Foundation
import YardCore

/// A repository under `yard data`: the folder holding `.yard/` (normally a git work tree's root), its
/// settings, its object cache and its state cache. Every user path is checked to lie inside it.
public struct DataRepository: Sendable {
    public let root: String
    public let config: RepositoryConfig
    public let cache: ObjectCache
    /// Link types for checkout, in order of preference (`cache.type`; `--link` overrides it for one run).
    public var linkKinds: [LinkKind]
    /// Directories with more files than this are split into several manifest nodes (tests lower it).
    public var maxLeafEntries = DirectoryTree.defaultMaxLeafEntries

    public static let directoryName = ".yard"
    public var yardDirectory: String { root + "/" + Self.directoryName }
    public var configPath: String { yardDirectory + "/config" }
    var statePath: String { yardDirectory + "/tmp/state" }

    public init(root: String) throws(YardError) {
        self.root = root
        let configPath = root + "/" + Self.directoryName + "/config"
        config = FileSystem.exists(configPath) ? try RepositoryConfig.load(configPath) : RepositoryConfig()
        linkKinds = try config.linkKinds
        cache = try ObjectCache(root: root + "/" + Self.directoryName + "/cache")
    }

    /// Creates `.yard/` in `directory`: the config, the cache and a .gitignore for what must stay out of git.
    /// Running it again is harmless.
    @discardableResult
    public static func initialize(at directory: String) throws(YardError) -> DataRepository {
        let root = canonical(directory)
        guard let info = FileSystem.info(root), info.kind == .directory else {
            throw .notFound("'\(directory)' is not a folder.")
        }
        let yard = root + "/" + directoryName
        try FileSystem.createDirectory(yard + "/cache")
        try FileSystem.createDirectory(yard + "/tmp")
        if !FileSystem.exists(yard + "/config") {
            try RepositoryConfig().save(yard + "/config")
        }
        let ignore = "# The caches and the pipeline run store are local; only the config is shared through git.\n/cache/\n/tmp/\n/runcache/\n/tracking/\n"
        try FileSystem.writeAtomically(yard + "/.gitignore", Array(ignore.utf8))
        return try DataRepository(root: root)
    }

    /// The repository containing `directory`: the nearest folder upwards holding `.yard/`.
    public static func find(from directory: String) throws(YardError) -> DataRepository {
        var current = canonical(directory)
        while true {
            if let info = FileSystem.info(current + "/" + directoryName), info.kind == .directory {
                return try DataRepository(root: current)
            }
            if current == "/" || current.isEmpty { break }
            current = PathText.parent(current)
        }
        throw YardError(.invalidState, "Not inside a yard repository (no .yard folder here or above '\(directory)'). Run `yard init` at the root of your git repository first.")
    }

    /// Absolute, with `.`/`..` and symbolic links in the folders resolved.
    static func canonical(_ path: String) -> String {
        guard let resolved = realpath(path, nil) else {
            return URL(fileURLWithPath: path).standardizedFileURL.path
        }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// A user-given path checked to lie inside the repository (and outside `.yard`/`.git`), as an absolute
    /// path and a path relative to the root.
    public func resolve(_ userPath: String, from workingDirectory: String, mustExist: Bool = true) throws(YardError) -> (absolute: String, relative: String) {
        var path = userPath
        while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
        let joined = path.hasPrefix("/") ? path : workingDirectory + "/" + path
        let standardized = URL(fileURLWithPath: joined).standardizedFileURL.path
        // Resolve symbolic links in the parent folders (not the last component, which may not exist yet).
        let parent = Self.canonical(PathText.parent(standardized))
        let name = PathText.name(standardized)
        let absolute = parent == "/" ? "/" + name : parent + "/" + name
        guard absolute.hasPrefix(root + "/") else {
            throw .invalid("'\(userPath)' is outside the repository at \(root); only paths inside it can be tracked. Move or copy the data into the repository first.")
        }
        let relative = String(absolute.dropFirst(root.count + 1))
        let first = relative.split(separator: "/").first.map(String.init) ?? ""
        if first == Self.directoryName || first == ".git" {
            throw .invalid("'\(userPath)' is inside \(first)/, which yard manages itself; choose a path in your work tree.")
        }
        if mustExist && FileSystem.info(absolute) == nil {
            throw .notFound("'\(userPath)' does not exist; check the path (nothing was changed).")
        }
        return (absolute, relative)
    }

    /// Relative paths of every pointer file in the work tree, sorted. Tracked folders, `.git` and `.yard`
    /// (at any depth) are not descended into, so a 100,000-file dataset costs nothing here.
    public func pointerPaths() throws(YardError) -> [String] {
        var found: [String] = []
        var pending = [""]
        while let relative = pending.popLast() {
            let absolute = relative.isEmpty ? root : root + "/" + relative
            let listing = (try? FileSystem.list(absolute)) ?? []
            let names = Set(listing.map(\.name))
            for (name, kind) in listing {
                let child = relative.isEmpty ? name : relative + "/" + name
                if name.hasSuffix(PointerFile.suffix), name.count > PointerFile.suffix.count {
                    if (kind ?? FileSystem.info(root + "/" + child)?.kind) == .file { found.append(child) }
                    continue
                }
                // .git and .yard folders (at any depth: nested clones) hold no pointers checkout may follow.
                if name == ".git" || name == Self.directoryName { continue }
                if names.contains(name + PointerFile.suffix) { continue }
                let resolvedKind = kind ?? FileSystem.info(root + "/" + child)?.kind
                if resolvedKind == .directory { pending.append(child) }
            }
        }
        return found.sorted()
    }

    /// A pointer file together with where it lives and what it tracks.
    public struct TrackedOutput: Sendable {
        /// Pointer path relative to the root (`data/train.csv.yard`).
        public var pointerPath: String
        /// Tracked path relative to the root (`data/train.csv`).
        public var targetPath: String
        public var pointer: PointerFile
    }

    public func absolute(_ relative: String) -> String { root + "/" + relative }

    func loadOutput(pointerPath: String) throws(YardError) -> TrackedOutput {
        let pointer = try PointerFile.load(absolute(pointerPath), displayPath: pointerPath)
        let folder = PathText.parent(pointerPath)
        let target = folder.isEmpty ? pointer.path : folder + "/" + pointer.path
        return TrackedOutput(pointerPath: pointerPath, targetPath: target, pointer: pointer)
    }

    /// The outputs named by `targets` (data paths or pointer paths), or all of them when `targets` is empty.
    public func outputs(_ targets: [String], from workingDirectory: String) throws(YardError) -> [TrackedOutput] {
        if targets.isEmpty {
            var outputs: [TrackedOutput] = []
            for path in try pointerPaths() { outputs.append(try loadOutput(pointerPath: path)) }
            return outputs
        }
        var outputs: [TrackedOutput] = []
        for target in targets {
            var (_, relative) = try resolve(target, from: workingDirectory, mustExist: false)
            if !relative.hasSuffix(PointerFile.suffix) { relative += PointerFile.suffix }
            guard FileSystem.exists(absolute(relative)) else {
                throw .notFound("'\(target)' is not tracked: there is no \(relative). Track it with `yard data add \(target)`.")
            }
            outputs.append(try loadOutput(pointerPath: relative))
        }
        return outputs
    }

    /// The entries of a tracked directory, read from the cache. `pointerPath` (the pointer naming the
    /// manifest) is named in the error when the manifest is corrupt or lists an unsafe path.
    public func treeEntries(_ root: ContentDigest, pointerPath: String? = nil) throws(YardError) -> (entries: [TreeEntry], nodes: [ContentDigest]) {
        let cache = self.cache
        do {
            return try DirectoryTree.load(root: root) { digest throws(YardError) in
                guard cache.contains(digest) else {
                    throw YardError.notFound("The manifest \(digest) is not in the cache; run `yard data fetch` (or pull) first.")
                }
                return try cache.read(digest)
            }
        } catch {
            guard let pointerPath, error.code == .invalidState else { throw error }
            throw YardError(error.code, "'\(pointerPath)' names a manifest yard cannot use. " + error.message.replacingOccurrences(of: "<path>.yard", with: pointerPath))
        }
    }

    /// A file name as a literal .gitignore pattern: glob characters, a leading `#`/`!` and trailing spaces
    /// would otherwise change what the line matches (`model[1].bin` would match `model1.bin` only).
    static func gitignoreEscaped(_ name: String) -> String {
        var escaped = ""
        for character in name {
            if "*?[]\\".contains(character) { escaped.append("\\") }
            escaped.append(character)
        }
        if escaped.hasPrefix("#") || escaped.hasPrefix("!") { escaped = "\\" + escaped }
        var trailing = 0
        while escaped.hasSuffix(" ") && !escaped.hasSuffix("\\ ") {
            escaped.removeLast()
            trailing += 1
        }
        escaped += String(repeating: "\\ ", count: trailing)
        return escaped
    }

    /// Adds `/<name>` to the .gitignore beside a tracked path, so git never sees the data itself.
    public func ignoreInGit(_ relativePath: String) throws(YardError) {
        let folder = PathText.parent(relativePath)
        let ignorePath = folder.isEmpty ? root + "/.gitignore" : root + "/" + folder + "/.gitignore"
        let line = "/" + Self.gitignoreEscaped(PathText.name(relativePath))
        var text = FileSystem.exists(ignorePath) ? String(decoding: try FileSystem.readFile(ignorePath), as: UTF8.self) : ""
        if text.split(separator: "\n").contains(where: { $0 == line }) { return }
        if !text.isEmpty && !text.hasSuffix("\n") { text += "\n" }
        text += line + "\n"
        try FileSystem.writeAtomically(ignorePath, Array(text.utf8))
    }
}
