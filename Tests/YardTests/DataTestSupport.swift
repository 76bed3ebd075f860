import Foundation
import YardCore
@testable import YardData

/// A temporary repository with `.yard/` initialised, plus helpers to write files and run git.
final class DataTestRepository: @unchecked Sendable {
    let directory = TemporaryDirectory()
    var root: String { repository.root }
    private(set) var repository: DataRepository

    init(maxLeafEntries: Int = DirectoryTree.defaultMaxLeafEntries, git: Bool = false) throws {
        if git {
            try Self.run("git", ["init", "-q", directory.path])
            try Self.run("git", ["-C", directory.path, "config", "user.email", "test@example.com"])
            try Self.run("git", ["-C", directory.path, "config", "user.name", "Test"])
        }
        repository = try DataRepository.initialize(at: directory.path)
        repository.maxLeafEntries = maxLeafEntries
    }

    /// Writes a file (creating folders), replacing any old one rather than writing through it, as an
    /// editor does: an old hard-linked copy in the cache must stay intact.
    @discardableResult
    func write(_ relative: String, _ text: String) -> String {
        let path = root + "/" + relative
        try? FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        unlink(path)
        _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        return path
    }

    func read(_ relative: String) -> String? {
        FileManager.default.contents(atPath: root + "/" + relative).map { String(decoding: $0, as: UTF8.self) }
    }

    func exists(_ relative: String) -> Bool {
        FileManager.default.fileExists(atPath: root + "/" + relative)
    }

    /// Makes every file look older than the state cache's racy window, as files normally are.
    func age(_ only: String? = nil) throws {
        let old = Date().addingTimeInterval(-10)
        if let only {
            try FileManager.default.setAttributes([.modificationDate: old], ofItemAtPath: root + "/" + only)
            return
        }
        let enumerator = FileManager.default.enumerator(atPath: root)!
        while let relative = enumerator.nextObject() as? String {
            if relative.hasPrefix(".yard") || relative.hasPrefix(".git") { continue }
            try? FileManager.default.setAttributes([.modificationDate: old], ofItemAtPath: root + "/" + relative)
        }
    }

    func git(_ arguments: String...) throws {
        try Self.run("git", ["-C", root] + arguments)
    }

    static func run(_ tool: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [tool] + arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        if process.terminationStatus != 0 {
            throw NSError(domain: "test", code: Int(process.terminationStatus), userInfo: [NSLocalizedDescriptionKey: "\(tool) \(arguments) failed"])
        }
    }
}
