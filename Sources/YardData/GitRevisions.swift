import Foundation
import YardCore

/// Runs git in a folder and returns its standard output, or an error carrying git's own message. It
/// shells out to `git`: the repository format is git's business, and the user has git anyway.
public enum Git {
    public static func run(_ arguments: [String], in folder: String) throws(YardError) -> [UInt8] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git", "-C", folder] + arguments
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw YardError(.invalidState, "Cannot run git: \(error.localizedDescription). Install git to compare or clean up revisions.")
        }
        let bytes = output.fileHandleForReading.readDataToEndOfFile()
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let text = String(decoding: message, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            throw .invalid("git \(arguments.joined(separator: " ")) failed: \(text)")
        }
        return [UInt8](bytes)
    }
}

/// Reads pointer files from git history, so diff and gc can see versions that are not checked out.
struct GitRevisions: Sendable {
    let root: String

    func run(_ arguments: [String]) throws(YardError) -> [UInt8] {
        try Git.run(arguments, in: root)
    }

    /// Pointer files committed at `revision`: pointer path → pointer.
    /// `validatingPaths: false` reads only what the pointers reference (gc), so one unsafe pointer in old
    /// history does not block housekeeping; checkout never uses pointers read this way.
    func pointers(at revision: String, validatingPaths: Bool = true) throws(YardError) -> [String: PointerFile] {
        let listing = String(decoding: try run(["ls-tree", "-r", "-z", "--name-only", revision]), as: UTF8.self)
        var pointers: [String: PointerFile] = [:]
        for path in listing.split(separator: "\0") where path.hasSuffix(PointerFile.suffix) && !path.hasPrefix(DataRepository.directoryName + "/") {
            let bytes = try run(["show", "\(revision):\(path)"])
            pointers[String(path)] = try PointerFile.decode(bytes, source: "\(revision):\(path)", fileName: PathText.name(String(path)),
                                                            validatingPath: validatingPaths)
        }
        return pointers
    }

    /// Every commit reachable from any ref.
    func allCommits() throws(YardError) -> [String] {
        String(decoding: try run(["rev-list", "--all"]), as: UTF8.self).split(separator: "\n").map(String.init)
    }

    /// The commits gc keeps for `scope`, without duplicates. Fails with advice when the repository root
    /// is not in a git work tree (or git is missing), instead of silently keeping less.
    func commits(_ scope: GCScope) throws(YardError) -> [String] {
        do {
            _ = try run(["rev-parse", "--git-dir"])
        } catch {
            throw .invalid("gc keeps the data of every git commit by default, but git cannot read a repository at \(root) (\(error.message)). Run it inside your git work tree, or pass --workspace to keep only the data the work tree's pointer files use (deleting that of every other version).")
        }
        var commits: [String] = []
        if scope.allCommits { commits += try allCommits() }
        var patterns: [String] = []
        if scope.allBranches { patterns.append("refs/heads") }
        if scope.allTags { patterns.append("refs/tags") }
        if !patterns.isEmpty {
            // %(*objectname) is the commit an annotated tag points to; %(objectname) the ref's own object.
            let text = String(decoding: try run(["for-each-ref", "--format=%(objecttype) %(objectname) %(*objectname)"] + patterns), as: UTF8.self)
            for line in text.split(separator: "\n") {
                let fields = line.split(separator: " ")
                guard fields.count >= 2 else { continue }
                if fields[0] == "commit" { commits.append(String(fields[1])) }
                else if fields[0] == "tag", fields.count == 3 { commits.append(String(fields[2])) }
            }
        }
        var seen = Set<String>()
        return commits.filter { seen.insert($0).inserted }
    }

    /// Pointer files at `revision` whose blob is not in `seenBlobs` (which it updates), decoded.
    func pointers(at revision: String, validatingPaths: Bool, skipping seenBlobs: inout Set<String>) throws(YardError) -> [String: PointerFile] {
        let listing = String(decoding: try run(["ls-tree", "-r", "-z", revision]), as: UTF8.self)
        var pointers: [String: PointerFile] = [:]
        for record in listing.split(separator: "\0") {
            // "<mode> <type> <object>\t<path>"
            guard let tab = record.firstIndex(of: "\t") else { continue }
            let path = String(record[record.index(after: tab)...])
            let fields = record[..<tab].split(separator: " ")
            let isLock = path == PipelineReferences.lockFileName || path.hasSuffix("/" + PipelineReferences.lockFileName)
            guard fields.count == 3, fields[1] == "blob", path.hasSuffix(PointerFile.suffix) || isLock,
                  !path.hasPrefix(DataRepository.directoryName + "/") else { continue }
            let blob = String(fields[2])
            guard seenBlobs.insert(blob).inserted else { continue }
            if isLock {
                // A pipeline lock: its outputs are kept like pointer files (keyed by a path that cannot clash).
                for (index, reference) in PipelineReferences.pointers(in: try run(["cat-file", "blob", blob]), source: "\(revision):\(path)").enumerated() {
                    pointers["\(path)#\(index)"] = reference.pointer
                }
                continue
            }
            let bytes = try run(["cat-file", "blob", blob])
            pointers[path] = try PointerFile.decode(bytes, source: "\(revision):\(path)", fileName: PathText.name(path),
                                                    validatingPath: validatingPaths)
        }
        return pointers
    }
}
