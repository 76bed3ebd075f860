import Foundation
import YardCore

/// Reads pointer files from git history, so diff and gc can see versions that are not checked out.
/// It shells out to `git`: the repository format is git's business, and the user has git anyway.
struct GitRevisions: Sendable {
    let root: String

    func run(_ arguments: [String]) throws(YardError) -> [UInt8] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git", "-C", root] + arguments
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
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

    /// Pointer files committed at `revision`: pointer path → pointer.
    func pointers(at revision: String) throws(YardError) -> [String: PointerFile] {
        let listing = String(decoding: try run(["ls-tree", "-r", "-z", "--name-only", revision]), as: UTF8.self)
        var pointers: [String: PointerFile] = [:]
        for path in listing.split(separator: "\0") where path.hasSuffix(PointerFile.suffix) && !path.hasPrefix(DataRepository.directoryName + "/") {
            let bytes = try run(["show", "\(revision):\(path)"])
            pointers[String(path)] = try PointerFile.decode(bytes, source: "\(revision):\(path)")
        }
        return pointers
    }

    /// Every commit reachable from any ref.
    func allCommits() throws(YardError) -> [String] {
        String(decoding: try run(["rev-list", "--all"]), as: UTF8.self).split(separator: "\n").map(String.init)
    }
}
