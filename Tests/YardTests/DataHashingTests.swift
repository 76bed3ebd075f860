import Foundation
import Testing
import YardCore
@testable import YardData

@Suite("Data: digests, hashing, manifests, state cache")
struct DataHashingTests {
    let directory = TemporaryDirectory()

    @Test func knownSHA256Vectors() throws {
        let empty = directory.file("empty")
        _ = FileManager.default.createFile(atPath: empty, contents: Data())
        #expect(try FileHasher.hash(empty).0.hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        let abc = directory.file("abc")
        _ = FileManager.default.createFile(atPath: abc, contents: Data("abc".utf8))
        let digest = try FileHasher.hash(abc).0
        #expect(digest.hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(digest.description == "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(digest.shortForm == "ba7816bf8f01cfea414140de5dae2223b003")
        #expect(digest.shortForm.count == 36)
    }

    @Test func largeFilesTakeThePipelinedPathAndHashTheSame() throws {
        // Bigger than the pipeline threshold and not a multiple of the buffer size.
        var bytes = [UInt8](repeating: 0, count: Int(FileHasher.pipelineThreshold) + 3 * FileHasher.pipelineBufferSize + 12345)
        for index in bytes.indices { bytes[index] = UInt8(truncatingIfNeeded: index &* 2654435761 >> 13) }
        let path = directory.file("big")
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        let (digest, info) = try FileHasher.hash(path)
        #expect(digest == ContentDigest.of(bytes))
        #expect(info.size == Int64(bytes.count))
    }

    @Test func digestParsing() {
        let hex = String(repeating: "ab", count: 32)
        #expect(ContentDigest(hex)?.hex == hex)
        #expect(ContentDigest("sha256:" + hex.uppercased())?.hex == hex)
        #expect(ContentDigest("sha256:abc") == nil)
        #expect(ContentDigest(String(repeating: "g", count: 64)) == nil)
        #expect(throws: YardError.self) { try ContentDigest.parse("md5:00") }
    }

    @Test func missingFileIsAClearError() {
        #expect(throws: YardError.notFound("'nope' does not exist; check the path.")) {
            try FileHasher.hash(directory.file("nope"), displayPath: "nope")
        }
    }

    func entries(_ count: Int, seed: String = "") -> [TreeEntry] {
        (0..<count).map { index in
            TreeEntry(path: "dir\(index % 7)/file-\(index).bin", digest: ContentDigest.of(Array("\(seed)\(index)".utf8)),
                      size: Int64(index), isExecutable: index % 5 == 0)
        }
    }

    @Test func smallManifestIsOneSortedLeaf() throws {
        let tree = DirectoryTree(entries: entries(20).shuffled())
        #expect(tree.nodes.count == 1)
        #expect(tree.fileCount == 20)
        #expect(tree.totalSize == (0..<20).reduce(0, +))
        let text = String(decoding: tree.nodes[0].bytes, as: UTF8.self)
        #expect(text.hasPrefix("yard-tree-v1 leaf\n"))
        let loaded = try DirectoryTree.load(root: tree.root) { _ throws(YardError) in tree.nodes[0].bytes }
        #expect(loaded.entries == entries(20).sorted { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) })
        // Order of input never changes the digest.
        #expect(DirectoryTree(entries: entries(20)).root == tree.root)
    }

    @Test func largeManifestSplitsAndOneChangeRewritesOneLeaf() throws {
        let original = entries(1000)
        let tree = DirectoryTree(entries: original, maxLeafEntries: 100)
        #expect(tree.nodes.count > 2)
        let store = Dictionary(uniqueKeysWithValues: tree.nodes.map { ($0.digest, $0.bytes) })
        let loaded = try DirectoryTree.load(root: tree.root) { digest throws(YardError) in store[digest]! }
        #expect(loaded.entries.count == 1000)
        #expect(Set(loaded.nodes) == Set(store.keys))

        var changed = original
        changed[500].digest = ContentDigest.of(Array("changed".utf8))
        let next = DirectoryTree(entries: changed, maxLeafEntries: 100)
        let newNodes = Set(next.nodes.map(\.digest)).subtracting(store.keys)
        #expect(newNodes.count == 2)  // the changed leaf and the index
        #expect(newNodes.contains(next.root))
    }

    @Test func pathsWithNewlinesAndPercentRoundTrip() throws {
        let odd = [TreeEntry(path: "a%b\nc", digest: ContentDigest.of([1]), size: 1, isExecutable: false)]
        let tree = DirectoryTree(entries: odd)
        let loaded = try DirectoryTree.load(root: tree.root) { _ throws(YardError) in tree.nodes[0].bytes }
        #expect(loaded.entries == odd)
    }

    @Test func stateCacheRoundTripsAndIgnoresRacyEntries() {
        let path = directory.file("state")
        let cache = StateCache(path: path)
        var info = FileInfo(stat())
        info.inode = 42
        info.size = 7
        info.modifiedNanoseconds = 1_000_000_000
        let digest = ContentDigest.of(Array("x".utf8))
        cache.record("data/a", info: info, digest: digest, hashedAt: 5_000_000_000)
        var racy = info
        racy.modifiedNanoseconds = 4_950_000_000
        cache.record("data/racy", info: racy, digest: digest, hashedAt: 5_000_000_000)
        cache.save()

        let reloaded = StateCache(path: path)
        #expect(reloaded.count == 1)
        #expect(reloaded.digest(for: "data/a", info: info) == digest)
        #expect(reloaded.digest(for: "data/racy", info: racy) == nil)
        var touched = info
        touched.modifiedNanoseconds += 1
        #expect(reloaded.digest(for: "data/a", info: touched) == nil)
        var replaced = info
        replaced.inode = 43
        #expect(reloaded.digest(for: "data/a", info: replaced) == nil)
    }

    @Test func corruptStateFileIsAnEmptyCache() {
        let path = directory.file("state")
        _ = FileManager.default.createFile(atPath: path, contents: Data("YARDSTATE1\n\u{5}\u{0}abc".utf8))
        #expect(StateCache(path: path).count == 0)
    }

    @Test func csvProfile() {
        let csv = "id,score,flag,city,empty\n1,2.5,true,Paris,\n2,,false,\"Lyon, FR\",NA\n3,-1,true,\"say \"\"hi\"\"\",\n"
        let profile = CSVProfiler.profile(bytes: Array(csv.utf8))
        #expect(profile.rows == 3)
        #expect(profile.columns.map(\.name) == ["id", "score", "flag", "city", "empty"])
        #expect(profile.columns.map(\.type) == ["integer", "float", "boolean", "string", "empty"])
        #expect(profile.columns[0].min == 1 && profile.columns[0].max == 3 && profile.columns[0].mean == 2)
        #expect(profile.columns[1].nulls == 1)
        #expect(profile.columns[1].mean == 0.75)
        #expect(profile.columns[3].min == nil)
        #expect(profile.columns[4].nulls == 3)
    }
}
