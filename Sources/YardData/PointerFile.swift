import Foundation
import Yams
import YardCore

/// `<path>.yard`: the small YAML file committed with the code that says which bytes `<path>` should hold.
public struct PointerFile: Sendable, Equatable {
    public enum Kind: String, Sendable, Codable { case file, directory }

    public static let suffix = ".yard"

    /// The tracked file or directory, relative to the pointer's own folder (its base name).
    public var path: String
    public var kind: Kind
    public var digest: ContentDigest
    /// Total bytes and number of files (1 for a file).
    public var size: Int64
    public var files: Int
    /// The dataset name it was registered under, when `--name` was given.
    public var name: String?

    public init(path: String, kind: Kind, digest: ContentDigest, size: Int64, files: Int, name: String? = nil) {
        self.path = path
        self.kind = kind
        self.digest = digest
        self.size = size
        self.files = files
        self.name = name
    }

    private struct Document: Codable {
        var path: String
        var kind: Kind
        var digest: String
        var size: Int64
        var files: Int
        var name: String?
    }

    public func encoded() throws(YardError) -> [UInt8] {
        let document = Document(path: path, kind: kind, digest: digest.description, size: size, files: files, name: name)
        do {
            let yaml = try YAMLEncoder().encode(document)
            let header = "# Tracked by `yard data`: commit this file with your code; the bytes are in the yard cache and remotes.\n"
            return Array((header + yaml).utf8)
        } catch {
            throw YardError(.internalError, "Cannot write a pointer file: \(error)")
        }
    }

    /// Parses a pointer file. Its content is not trusted: the tracked path must be a single, ordinary name
    /// (not `..`, `.`, `.git`, absolute, with NUL or backslash), and, when `fileName` (the pointer file's own
    /// name) is given, the name the pointer file is called after, so `b.yard` cannot aim at `.gitignore`.
    /// `validatingPath: false` is for readers that only need the digest (gc over git history).
    public static func decode(_ bytes: [UInt8], source: String, fileName: String? = nil,
                              validatingPath: Bool = true) throws(YardError) -> PointerFile {
        let document: Document
        do {
            document = try YAMLDecoder().decode(Document.self, from: String(decoding: bytes, as: UTF8.self))
        } catch {
            throw .invalid("'\(source)' is not a valid yard pointer file (\(error)). Restore it from git, or delete it and run `yard data add` again.")
        }
        guard let digest = ContentDigest(document.digest) else {
            throw .invalid("'\(source)' has an invalid digest '\(document.digest)'. Restore it from git.")
        }
        if validatingPath {
            if let reason = PathText.unsafeReason(document.path, singleName: true) {
                throw .invalid("'\(source)' names the path '\(PathText.shown(document.path))', which yard refuses (\(reason)): a pointer must name the file or folder beside it. Nothing was changed; restore '\(source)' from git (git checkout -- '\(source)') or delete it and run `yard data add` again.")
            }
            if let fileName, fileName.hasSuffix(suffix), String(fileName.dropLast(suffix.count)) != document.path {
                throw .invalid("'\(source)' names the path '\(PathText.shown(document.path))', but a pointer file must be named after what it tracks ('\(document.path)\(suffix)'). Nothing was changed; restore '\(source)' from git (git checkout -- '\(source)') or delete it and run `yard data add` again.")
            }
        }
        return PointerFile(path: document.path, kind: document.kind, digest: digest, size: document.size,
                           files: document.files, name: document.name)
    }

    public static func load(_ absolutePath: String, displayPath: String) throws(YardError) -> PointerFile {
        try decode(try FileSystem.readFile(absolutePath), source: displayPath, fileName: PathText.name(absolutePath))
    }
}
