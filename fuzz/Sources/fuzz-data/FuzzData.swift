import YardCore
import YardData

/// The pointer-file (YAML) and directory-manifest decoders on arbitrary bytes: both must return or throw
/// (their errors are typed YardError), never trap. What they accept must re-encode with the public
/// writers and decode to the same value. Every input goes to both decoders; the seeds hold both kinds.
///
/// The other direction too, since that is what loses data: the input, split at NUL bytes, is taken as
/// the file names of a tracked folder (those `PathText.unsafeReason` accepts, as the decoders do); the
/// manifest and pointer file written for them must decode to exactly what was written.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzData(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    fuzzPointerFile(bytes)
    fuzzManifest(bytes)
    fuzzWriters(names: bytes.split(separator: 0).map { String(decoding: $0, as: UTF8.self) })
    return 0
}

private func fuzzPointerFile(_ bytes: [UInt8]) {
    guard let pointer = try? PointerFile.decode(bytes, source: "fuzz.yard") else { return }
    let encoded: [UInt8]
    do {
        encoded = try pointer.encoded()
    } catch {
        fatalError("a decoded pointer file cannot be encoded (\(error)): \(pointer)")
    }
    do {
        let again = try PointerFile.decode(encoded, source: "fuzz.yard")
        guard again == pointer else { fatalError("pointer file round trip changed \(pointer) into \(again)") }
    } catch {
        fatalError("an encoded pointer file does not decode (\(error)):\n\(String(decoding: encoded, as: UTF8.self))")
    }
}

private let someDigest = ContentDigest.of([UInt8]())

private func fuzzManifest(_ bytes: [UInt8]) {
    guard let node = try? DirectoryTree.decode(bytes, digest: someDigest) else { return }
    switch node {
    case .index(let children):
        guard let listed = try? DirectoryTree.children(of: bytes, digest: someDigest),
              listed == children.map(\.digest)
        else { fatalError("children(of:) disagrees with decode for an index node") }
    case .leaf(let entries):
        guard (try? DirectoryTree.children(of: bytes, digest: someDigest)) == [] else {
            fatalError("children(of:) lists children for a leaf node")
        }
        // DirectoryTree(entries:) wants unique paths and a total size that fits an Int64; a decoded leaf
        // need not have either, so only such leaves are re-encoded.
        var total: Int64 = 0
        for entry in entries {
            let (sum, overflow) = total.addingReportingOverflow(entry.size)
            if overflow { return }
            total = sum
        }
        guard Set(entries.map(\.path)).count == entries.count, entries.count <= DirectoryTree.defaultMaxLeafEntries else { return }
        let tree = DirectoryTree(entries: entries)
        guard tree.nodes.count == 1, let root = tree.nodes.first else { fatalError("a small tree is not one leaf") }
        let sorted = entries.sorted { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
        do {
            guard case .leaf(let again) = try DirectoryTree.decode(root.bytes, digest: root.digest), again == sorted else {
                fatalError("manifest round trip changed the entries of:\n\(String(decoding: bytes, as: UTF8.self))")
            }
        } catch {
            fatalError("an encoded manifest does not decode (\(error)):\n\(String(decoding: root.bytes, as: UTF8.self))")
        }
    }
}

private func fuzzWriters(names: [String]) {
    var seen = Set<[UInt8]>()
    var entries: [TreeEntry] = []
    for (number, path) in names.enumerated() where PathText.unsafeReason(path) == nil && seen.insert(Array(path.utf8)).inserted {
        entries.append(TreeEntry(path: path, digest: someDigest, size: Int64(number), isExecutable: number % 2 == 0))
    }
    let tree = DirectoryTree(entries: entries)
    let nodes = Dictionary(tree.nodes.map { ($0.digest, $0.bytes) }, uniquingKeysWith: { first, _ in first })
    let sorted = entries.sorted { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
    do {
        let loaded = try DirectoryTree.load(root: tree.root) { digest throws(YardError) in
            guard let bytes = nodes[digest] else { throw YardError.invalid("no node \(digest)") }
            return bytes
        }
        guard loaded.entries == sorted else {
            fatalError("the manifest written for \(sorted.map(\.path)) decodes as \(loaded.entries.map(\.path))")
        }
    } catch {
        fatalError("the manifest written for \(sorted.map(\.path)) does not decode: \(error)")
    }

    guard let name = names.first(where: { PathText.unsafeReason($0, singleName: true) == nil }) else { return }
    let pointer = PointerFile(path: name, kind: .directory, digest: tree.root, size: Int64(entries.count),
                              files: entries.count, name: names.joined(separator: "\n"))
    let encoded: [UInt8]
    do {
        encoded = try pointer.encoded()
    } catch {
        fatalError("the pointer file for \(pointer) cannot be written: \(error)")
    }
    do {
        let again = try PointerFile.decode(encoded, source: "fuzz", fileName: name + PointerFile.suffix)
        guard again == pointer else { fatalError("the pointer file written for \(pointer) decodes as \(again)") }
    } catch {
        fatalError("the pointer file written for \(pointer) does not decode (\(error)):\n\(String(decoding: encoded, as: UTF8.self))")
    }
}
