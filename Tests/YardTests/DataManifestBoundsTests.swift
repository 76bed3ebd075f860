import Testing
import YardCore
@testable import YardData

/// Manifests come from remotes and git history: sizes they claim are bounded when decoded, so the totals
/// computed from them (progress, transfer plans) cannot overflow and trap.
@Suite("Manifest bounds")
struct DataManifestBoundsTests {
    static let digest = ContentDigest(String(repeating: "a", count: 64))!
    static let entryDigest = String(repeating: "b", count: 64)

    @Test(arguments: ["-1", "9223372036854775807", "1125899906842625"])
    func leafSizesOutsideTheBoundAreRefused(size: String) {
        let leaf = Array("yard-tree-v1 leaf\n\(Self.entryDigest) \(size) - data.csv\n".utf8)
        #expect(throws: YardError.self) { _ = try DirectoryTree.decode(leaf, digest: Self.digest) }
    }

    @Test func indexSizesAndCountsOutsideTheBoundAreRefused() {
        for line in ["0 \(Self.entryDigest) -1 10", "0 \(Self.entryDigest) 1 -10", "0 \(Self.entryDigest) 1 9223372036854775807"] {
            let index = Array("yard-tree-v1 index 1\n\(line)\n".utf8)
            #expect(throws: YardError.self) { _ = try DirectoryTree.decode(index, digest: Self.digest) }
        }
    }

    @Test func ordinarySizesDecode() throws {
        let leaf = Array("yard-tree-v1 leaf\n\(Self.entryDigest) 1048576 - data.csv\n".utf8)
        guard case .leaf(let entries) = try DirectoryTree.decode(leaf, digest: Self.digest) else {
            Issue.record("not a leaf")
            return
        }
        #expect(entries.map(\.size) == [1_048_576])
    }
}
