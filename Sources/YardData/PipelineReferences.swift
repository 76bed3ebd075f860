import Foundation
import Yams
import YardCore

/// The content a pipeline record names: every `{path, kind, digest}` entry in a `yard.lock` or a run-cache
/// entry (JSON is YAML too). gc keeps these objects as it keeps those of pointer files. The reader is
/// deliberately shape-based rather than tied to the lock's schema, so YardData needs no pipeline types and
/// an older or newer lock still protects its data.
enum PipelineReferences {
    static let lockFileName = "yard.lock"

    static func pointers(in bytes: [UInt8], source: String) -> [(source: String, pointer: PointerFile)] {
        guard let node = try? Yams.compose(yaml: String(decoding: bytes, as: UTF8.self)) else { return [] }
        var found: [(source: String, pointer: PointerFile)] = []
        collect(node, source: source, into: &found)
        return found
    }

    private static func collect(_ node: Node, source: String, into found: inout [(source: String, pointer: PointerFile)]) {
        switch node {
        case .mapping(let mapping):
            if let digestText = mapping["digest"]?.string, let digest = ContentDigest(digestText),
               let kindText = mapping["kind"]?.string, let kind = PointerFile.Kind(rawValue: kindText) {
                let path = mapping["path"]?.string ?? "?"
                let size = mapping["size"]?.int.map(Int64.init) ?? 0
                let files = mapping["files"]?.int ?? 1
                found.append(("\(source) (\(path))", PointerFile(path: PathText.name(path), kind: kind, digest: digest, size: size, files: files)))
                return
            }
            for (_, value) in mapping { collect(value, source: source, into: &found) }
        case .sequence(let sequence):
            for value in sequence { collect(value, source: source, into: &found) }
        default:
            break
        }
    }

    /// The work tree's yard.lock and every run-cache entry.
    static func local(in repository: DataRepository, includingRunCache: Bool = true) -> [(source: String, pointer: PointerFile)] {
        var found: [(source: String, pointer: PointerFile)] = []
        if let bytes = try? FileSystem.readFile(repository.root + "/" + lockFileName) {
            found += pointers(in: bytes, source: lockFileName)
        }
        guard includingRunCache else { return found }
        let runCache = repository.yardDirectory + "/runcache"
        for (bucket, _) in (try? FileSystem.list(runCache)) ?? [] {
            for (name, _) in (try? FileSystem.list(runCache + "/" + bucket)) ?? [] where name.hasSuffix(".json") {
                if let bytes = try? FileSystem.readFile(runCache + "/" + bucket + "/" + name) {
                    found += pointers(in: bytes, source: "run cache \(name)")
                }
            }
        }
        return found
    }
}
