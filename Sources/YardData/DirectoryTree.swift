import YardCore

/// One file of a tracked directory: its path inside the directory ('/'-separated), its content and mode.
public struct TreeEntry: Sendable, Equatable {
    public var path: String
    public var digest: ContentDigest
    public var size: Int64
    public var isExecutable: Bool

    public init(path: String, digest: ContentDigest, size: Int64, isExecutable: Bool) {
        self.path = path
        self.digest = digest
        self.size = size
        self.isExecutable = isExecutable
    }
}

/// A directory's manifest, stored as cache objects like any file.
///
/// Small directories are one leaf node: a header line, then one line per file, sorted by path:
///
///     yard-tree-v1 leaf
///     <sha256 hex> <size> <x|-> <path>
///
/// Past `maxLeafEntries` files the entries are spread over 2^k buckets by a stable hash of the path,
/// each bucket a leaf node, and the root is an index node listing them:
///
///     yard-tree-v1 index <bucket count>
///     <bucket number> <leaf sha256 hex> <files> <bytes>
///
/// So changing one file of a million rewrites one leaf of a few thousand lines and the small index, not a
/// million-line manifest (the Oxen/lakeFS lesson). The directory's digest is the root node's digest.
/// Paths escape only `%` and newline (`%25`, `%0A`), so lines stay one per file and the text stays greppable.
public struct DirectoryTree: Sendable {
    public static let defaultMaxLeafEntries = 10_000

    /// The root node's digest: the directory's content address.
    public let root: ContentDigest
    /// Every node (root included), to be stored as objects.
    public let nodes: [(digest: ContentDigest, bytes: [UInt8])]
    public let fileCount: Int
    public let totalSize: Int64

    /// Builds the nodes for `entries` (any order; paths must be unique).
    public init(entries: [TreeEntry], maxLeafEntries: Int = defaultMaxLeafEntries) {
        let sorted = entries.sorted { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
        fileCount = sorted.count
        totalSize = sorted.reduce(0) { $0 + $1.size }
        if sorted.count <= maxLeafEntries {
            let leaf = Self.encodeLeaf(sorted)
            root = ContentDigest.of(leaf)
            nodes = [(root, leaf)]
            return
        }
        let bucketCount = Self.bucketCount(for: sorted.count, maxLeafEntries: maxLeafEntries)
        var buckets = Array(repeating: [TreeEntry](), count: bucketCount)
        for entry in sorted {
            buckets[Self.bucket(of: entry.path, count: bucketCount)].append(entry)
        }
        var built: [(ContentDigest, [UInt8])] = []
        var index = Array("yard-tree-v1 index \(bucketCount)\n".utf8)
        for (number, bucket) in buckets.enumerated() where !bucket.isEmpty {
            let leaf = Self.encodeLeaf(bucket)
            let digest = ContentDigest.of(leaf)
            built.append((digest, leaf))
            let bytes = bucket.reduce(Int64(0)) { $0 + $1.size }
            index.append(contentsOf: "\(number) \(digest.hex) \(bucket.count) \(bytes)\n".utf8)
        }
        root = ContentDigest.of(index)
        nodes = [(root, index)] + built
    }

    /// Smallest power of two that keeps buckets at about half the leaf limit, leaving room to grow.
    static func bucketCount(for count: Int, maxLeafEntries: Int) -> Int {
        let target = max(1, maxLeafEntries / 2)
        var buckets = 2
        while (count + buckets - 1) / buckets > target { buckets *= 2 }
        return buckets
    }

    /// FNV-1a over the path's UTF-8: stable across runs, machines and versions.
    static func bucket(of path: String, count: Int) -> Int {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in path.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return Int(hash & UInt64(count - 1))
    }

    static func encodeLeaf(_ entries: [TreeEntry]) -> [UInt8] {
        var bytes = Array("yard-tree-v1 leaf\n".utf8)
        bytes.reserveCapacity(bytes.count + entries.count * 100)
        for entry in entries {
            bytes.append(contentsOf: entry.digest.hex.utf8)
            bytes.append(0x20)
            bytes.append(contentsOf: String(entry.size).utf8)
            bytes.append(contentsOf: entry.isExecutable ? Array(" x ".utf8) : Array(" - ".utf8))
            for byte in entry.path.utf8 {
                switch byte {
                case 0x25: bytes.append(contentsOf: [0x25, 0x32, 0x35])  // %25
                case 0x0A: bytes.append(contentsOf: [0x25, 0x30, 0x41])  // %0A
                default: bytes.append(byte)
                }
            }
            bytes.append(0x0A)
        }
        return bytes
    }

    // MARK: Reading

    /// What a node holds once parsed.
    public enum Node: Sendable {
        case leaf([TreeEntry])
        case index([(bucket: Int, digest: ContentDigest, files: Int, size: Int64)])
    }

    /// Largest size a manifest may claim for one file or bucket (1 PiB): manifests come from remotes and
    /// git history, and bounded sizes keep every total computed from them far from overflow.
    static let maximumSize: Int64 = 1 << 50

    /// Parses a node. Lines and fields are split on UTF-8 bytes, not Characters: a path may hold a carriage
    /// return before the newline or a combining mark after a space or an escape, which Character-wise
    /// splitting would merge with the separator.

    public static func decode(_ bytes: [UInt8], digest: ContentDigest) throws(YardError) -> Node {
        var lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: true)[...]
        guard let header = lines.popFirst() else { throw corrupt(digest) }
        if header.elementsEqual("yard-tree-v1 leaf".utf8) {
            var entries: [TreeEntry] = []
            entries.reserveCapacity(lines.count)
            for line in lines {
                let fields = line.split(separator: 0x20, maxSplits: 3, omittingEmptySubsequences: false)
                guard fields.count == 4, let entryDigest = ContentDigest(String(decoding: fields[0], as: UTF8.self)),
                      let size = Int64(String(decoding: fields[1], as: UTF8.self)), (0...Self.maximumSize).contains(size),
                      fields[2].elementsEqual([0x78]) || fields[2].elementsEqual([0x2D]) else { throw corrupt(digest) }
                let path = unescape(fields[3])
                // Manifests arrive from remotes and git history: a path must stay inside the tracked folder.
                if let reason = PathText.unsafeReason(path) {
                    throw YardError(.invalidState, "The directory manifest \(digest) lists the path '\(PathText.shown(path))', which yard refuses (\(reason)); nothing was changed. The pointer file naming this manifest is not trustworthy: restore it from git (git checkout -- <path>.yard) and run `yard data pull` again.")
                }
                entries.append(TreeEntry(path: path, digest: entryDigest, size: size, isExecutable: fields[2].first == 0x78))
            }
            return .leaf(entries)
        }
        let indexPrefix = Array("yard-tree-v1 index ".utf8)
        if header.starts(with: indexPrefix) {
            var children: [(Int, ContentDigest, Int, Int64)] = []
            for line in lines {
                let fields = line.split(separator: 0x20).map { String(decoding: $0, as: UTF8.self) }
                guard fields.count == 4, let bucket = Int(fields[0]), let child = ContentDigest(fields[1]),
                      let files = Int(fields[2]), files >= 0, let size = Int64(fields[3]),
                      (0...Self.maximumSize).contains(size) else { throw corrupt(digest) }
                children.append((bucket, child, files, size))
            }
            return .index(children)
        }
        throw corrupt(digest)
    }

    /// Undoes `%25` and `%0A` byte-wise (the inverse of `encodeLeaf`).
    private static func unescape(_ bytes: ArraySlice<UInt8>) -> String {
        guard bytes.contains(0x25) else { return String(decoding: bytes, as: UTF8.self) }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index < bytes.endIndex {
            if bytes[index] == 0x25, index + 2 < bytes.endIndex {
                let pair = (bytes[index + 1], bytes[index + 2])
                if pair == (0x32, 0x35) { out.append(0x25); index += 3; continue }
                if pair == (0x30, 0x41) { out.append(0x0A); index += 3; continue }
            }
            out.append(bytes[index])
            index += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func corrupt(_ digest: ContentDigest) -> YardError {
        YardError(.invalidState, "The directory manifest \(digest) is not a valid yard tree; run `yard data verify`.")
    }

    /// All entries of the directory rooted at `root`, sorted by path, plus the digests of its nodes.
    /// `read` returns a node's bytes (from the cache, or a remote).
    public static func load(root: ContentDigest, read: (ContentDigest) throws(YardError) -> [UInt8]) throws(YardError)
        -> (entries: [TreeEntry], nodes: [ContentDigest]) {
        switch try decode(try read(root), digest: root) {
        case .leaf(let entries):
            return (entries, [root])
        case .index(let children):
            var entries: [TreeEntry] = []
            var nodes = [root]
            for child in children {
                guard case .leaf(let leafEntries) = try decode(try read(child.digest), digest: child.digest) else {
                    throw corrupt(child.digest)
                }
                entries.append(contentsOf: leafEntries)
                nodes.append(child.digest)
            }
            entries.sort { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
            return (entries, nodes)
        }
    }

    /// The child digests an index node names (empty for a leaf), for transfers that fetch a tree level by level.
    public static func children(of bytes: [UInt8], digest: ContentDigest) throws(YardError) -> [ContentDigest] {
        if case .index(let children) = try decode(bytes, digest: digest) { return children.map(\.digest) }
        return []
    }
}
