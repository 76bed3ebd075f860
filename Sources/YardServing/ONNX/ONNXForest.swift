/// A tree ensemble compiled to flat struct-of-arrays buffers: node i's split feature, threshold,
/// children (node indices, not ids) and mode live at index i of each buffer, and leaf votes are a
/// contiguous range of (target, weight) pairs. Built once at load, after every index was checked, so the
/// evaluation loop does no bounds checks, allocation or hashing per node.
///
/// `@unchecked Sendable`: the buffers are allocated and filled in `init` and never written afterwards.
final class CompiledForest: @unchecked Sendable {
    enum Mode: UInt8 {
        case leq = 0, lt, gte, gt, eq, neq, member, leaf
    }
    /// Set on a node's mode byte when a NaN feature takes the true branch.
    static let missingTracksTrue: UInt8 = 0x80

    enum Aggregate: Sendable { case sum, average, min, max }

    /// One node before compilation; children are node indices.
    struct Node {
        var mode: Mode
        var feature: Int
        var threshold: Double
        var trueChild: Int
        var falseChild: Int
        var missingTracksTrue: Bool
        var memberSet: [Double] = []
        var votes: [(target: Int, weight: Double)] = []
    }

    let nodeCount: Int
    let roots: [Int32]
    let targets: Int
    /// The largest feature index any split reads; -1 when no tree splits.
    let maxFeature: Int
    /// Every split is `x <= threshold` with NaN going false: the loop can skip the mode switch.
    let onlyLessOrEqual: Bool
    let weightsAreAllNonNegative: Bool
    /// Which targets (classes) any leaf votes for.
    let targetHasVotes: [Bool]

    private let features: UnsafeMutableBufferPointer<Int32>
    private let thresholdsFloat: UnsafeMutableBufferPointer<Float>
    private let thresholdsDouble: UnsafeMutableBufferPointer<Double>
    private let trueChildren: UnsafeMutableBufferPointer<Int32>
    private let falseChildren: UnsafeMutableBufferPointer<Int32>
    private let modes: UnsafeMutableBufferPointer<UInt8>
    private let voteStarts: UnsafeMutableBufferPointer<Int32>
    private let voteEnds: UnsafeMutableBufferPointer<Int32>
    private let voteTargets: UnsafeMutableBufferPointer<Int32>
    private let voteWeightsFloat: UnsafeMutableBufferPointer<Float>
    private let voteWeightsDouble: UnsafeMutableBufferPointer<Double>
    /// What a `<=` split over float input reads of a node, packed in 16 bytes so each step of the walk
    /// touches one cache line instead of one per buffer (the forest rarely fits in cache; this keeps
    /// it fast when another process shares the core's caches). `feature` is -1 on leaves.
    struct PackedSplit {
        var threshold: Float
        var feature: Int32
        var trueChild: Int32
        var falseChild: Int32
    }
    private let packedSplits: UnsafeMutableBufferPointer<PackedSplit>
    private let memberSets: [[Double]]
    private let memberSetOfNode: [Int32]

    /// `nodes` and `roots` must already be validated by `validate`.
    private init(nodes: [Node], roots: [Int], targets: Int) {
        nodeCount = nodes.count
        self.roots = roots.map { Int32($0) }
        self.targets = targets
        features = .allocate(capacity: max(nodes.count, 1))
        thresholdsFloat = .allocate(capacity: max(nodes.count, 1))
        thresholdsDouble = .allocate(capacity: max(nodes.count, 1))
        trueChildren = .allocate(capacity: max(nodes.count, 1))
        falseChildren = .allocate(capacity: max(nodes.count, 1))
        modes = .allocate(capacity: max(nodes.count, 1))
        packedSplits = .allocate(capacity: max(nodes.count, 1))
        voteStarts = .allocate(capacity: max(nodes.count, 1))
        voteEnds = .allocate(capacity: max(nodes.count, 1))
        let voteCount = nodes.reduce(0) { $0 + $1.votes.count }
        voteTargets = .allocate(capacity: max(voteCount, 1))
        voteWeightsFloat = .allocate(capacity: max(voteCount, 1))
        voteWeightsDouble = .allocate(capacity: max(voteCount, 1))
        var sets: [[Double]] = []
        var setOfNode = [Int32](repeating: -1, count: nodes.count)
        var vote = 0
        var maxFeature = -1
        var onlyLEQ = true
        var nonNegative = true
        var hasVotes = [Bool](repeating: false, count: targets)
        for (i, node) in nodes.enumerated() {
            features[i] = Int32(node.mode == .leaf ? 0 : node.feature)
            thresholdsFloat[i] = Float(node.threshold)
            thresholdsDouble[i] = node.threshold
            trueChildren[i] = Int32(node.trueChild)
            falseChildren[i] = Int32(node.falseChild)
            modes[i] = node.mode.rawValue | (node.missingTracksTrue && node.mode != .leaf ? Self.missingTracksTrue : 0)
            packedSplits[i] = PackedSplit(threshold: Float(node.threshold), feature: node.mode == .leaf ? -1 : Int32(node.feature),
                                          trueChild: Int32(node.trueChild), falseChild: Int32(node.falseChild))
            if node.mode != .leaf {
                maxFeature = max(maxFeature, node.feature)
                if node.mode != .leq || node.missingTracksTrue { onlyLEQ = false }
            }
            if node.mode == .member {
                setOfNode[i] = Int32(sets.count)
                sets.append(node.memberSet)
            }
            voteStarts[i] = Int32(vote)
            for (target, weight) in node.votes {
                voteTargets[vote] = Int32(target)
                voteWeightsFloat[vote] = Float(weight)
                voteWeightsDouble[vote] = weight
                if weight < 0 { nonNegative = false }
                hasVotes[target] = true
                vote += 1
            }
            voteEnds[i] = Int32(vote)
        }
        self.maxFeature = maxFeature
        onlyLessOrEqual = onlyLEQ
        weightsAreAllNonNegative = nonNegative
        targetHasVotes = hasVotes
        memberSets = sets
        memberSetOfNode = setOfNode
    }

    deinit {
        features.deallocate(); thresholdsFloat.deallocate(); thresholdsDouble.deallocate()
        trueChildren.deallocate(); falseChildren.deallocate(); modes.deallocate(); packedSplits.deallocate()
        voteStarts.deallocate(); voteEnds.deallocate(); voteTargets.deallocate()
        voteWeightsFloat.deallocate(); voteWeightsDouble.deallocate()
    }

    /// Checks children, features, targets and acyclicity, then compiles. `describe(i)` names node i in
    /// errors the way the model file identifies it.
    static func compile(
        nodes: [Node], roots: [Int], targets: Int, context: ONNXNodeContext, describe: (Int) -> String
    ) throws(InferenceError) -> CompiledForest {
        guard nodes.count < Int(Int32.max) else { throw context.invalid("has too many tree nodes") }
        for (i, node) in nodes.enumerated() {
            if node.mode != .leaf {
                guard node.trueChild >= 0, node.trueChild < nodes.count, node.falseChild >= 0, node.falseChild < nodes.count else {
                    throw context.invalid("\(describe(i)) points to a child that does not exist")
                }
                guard node.feature >= 0, node.feature < Int(Int32.max) else {
                    throw context.invalid("\(describe(i)) splits on feature \(node.feature), which is not a valid column index")
                }
            }
            for vote in node.votes where vote.target < 0 || vote.target >= targets {
                throw context.invalid("\(describe(i)) votes for target/class \(vote.target), but there are only \(targets)")
            }
        }
        for root in roots where root < 0 || root >= nodes.count {
            throw context.invalid("a tree root \(root) is not a node index (there are \(nodes.count) nodes)")
        }
        try checkAcyclic(nodes: nodes, roots: roots, context: context, describe: describe)
        return CompiledForest(nodes: nodes, roots: roots, targets: targets)
    }

    /// Iterative depth-first search from every root: meeting a node that is still on the path means a
    /// cycle, which would make evaluation loop forever.
    private static func checkAcyclic(
        nodes: [Node], roots: [Int], context: ONNXNodeContext, describe: (Int) -> String
    ) throws(InferenceError) {
        var state = [UInt8](repeating: 0, count: nodes.count) // 0 new, 1 on path, 2 done
        for root in roots where state[root] == 0 {
            var stack: [(node: Int, next: Int)] = [(root, 0)]
            state[root] = 1
            while let top = stack.last {
                let node = nodes[top.node]
                let children = node.mode == .leaf ? [] : [node.trueChild, node.falseChild]
                if top.next < children.count {
                    stack[stack.count - 1].next += 1
                    let child = children[top.next]
                    if state[child] == 1 {
                        throw context.invalid("the trees contain a cycle through \(describe(child))")
                    }
                    if state[child] == 0 {
                        state[child] = 1
                        stack.append((child, 0))
                    }
                } else {
                    state[top.node] = 2
                    stack.removeLast()
                }
            }
        }
    }

    /// The leaf a row reaches in the tree rooted at `root`.
    @inline(__always)
    private func leaf<X: BinaryFloatingPoint>(_ root: Int32, _ row: UnsafePointer<X>, _ thresholds: UnsafeMutableBufferPointer<X>) -> Int {
        var n = Int(root)
        let leafMode = Mode.leaf.rawValue
        if onlyLessOrEqual, X.self == Float.self {
            let row = UnsafeRawPointer(row).assumingMemoryBound(to: Float.self)
            while true {
                let split = packedSplits[n]
                if split.feature < 0 { return n }
                n = Int(row[Int(split.feature)] <= split.threshold ? split.trueChild : split.falseChild)
            }
        }
        if onlyLessOrEqual {
            while modes[n] != leafMode {
                n = Int(row[Int(features[n])] <= thresholds[n] ? trueChildren[n] : falseChildren[n])
            }
            return n
        }
        while true {
            let mode = modes[n]
            if mode == leafMode { return n }
            let x = row[Int(features[n])]
            let threshold = thresholds[n]
            var goesTrue: Bool
            switch mode & 0x0f {
            case Mode.leq.rawValue: goesTrue = x <= threshold
            case Mode.lt.rawValue: goesTrue = x < threshold
            case Mode.gte.rawValue: goesTrue = x >= threshold
            case Mode.gt.rawValue: goesTrue = x > threshold
            case Mode.eq.rawValue: goesTrue = x == threshold
            case Mode.neq.rawValue: goesTrue = x != threshold
            default: goesTrue = memberSets[Int(memberSetOfNode[n])].contains(Double(x))
            }
            if mode & Self.missingTracksTrue != 0 && x.isNaN { goesTrue = true }
            n = Int(goesTrue ? trueChildren[n] : falseChildren[n])
        }
    }

    /// Rows walked through one tree before moving to the next.
    private static let rowBlock = 64

    /// Aggregated scores, rows × targets, in the score type `S` (float when the model's weights are
    /// float, so sums round as onnxruntime's do). `input` is rows × width with width > maxFeature.
    func scores<X: BinaryFloatingPoint, S: BinaryFloatingPoint>(
        _ input: UnsafeBufferPointer<X>, rows: Int, width: Int, aggregate: Aggregate, as: S.Type
    ) -> [S] {
        let thresholds: UnsafeMutableBufferPointer<X>
        if X.self == Float.self {
            thresholds = UnsafeMutableRawBufferPointer(thresholdsFloat).bindMemory(to: X.self)
        } else {
            thresholds = UnsafeMutableRawBufferPointer(thresholdsDouble).bindMemory(to: X.self)
        }
        let weights: UnsafeMutableBufferPointer<S>
        if S.self == Float.self {
            weights = UnsafeMutableRawBufferPointer(voteWeightsFloat).bindMemory(to: S.self)
        } else {
            weights = UnsafeMutableRawBufferPointer(voteWeightsDouble).bindMemory(to: S.self)
        }
        var out = [S](repeating: 0, count: rows * targets)
        guard let base = input.baseAddress, rows > 0 else { return out }
        var seen = [Bool](repeating: false, count: targets)
        out.withUnsafeMutableBufferPointer { out in
            guard let outBase = out.baseAddress else { return }
            if aggregate == .sum || aggregate == .average {
                // Tree by tree over a block of rows, so one tree's nodes stay in cache while the block
                // walks it (row by row would stream the whole forest through the cache for every row).
                // Each row still adds its trees' votes in tree order, so sums round as before.
                var blockStart = 0
                while blockStart < rows {
                    let blockEnd = min(blockStart + Self.rowBlock, rows)
                    for root in roots {
                        for r in blockStart..<blockEnd {
                            let n = leaf(root, base + r * width, thresholds)
                            let scores = outBase + r * targets
                            var v = Int(voteStarts[n])
                            let end = Int(voteEnds[n])
                            while v < end {
                                scores[Int(voteTargets[v])] += weights[v]
                                v += 1
                            }
                        }
                    }
                    blockStart = blockEnd
                }
                if aggregate == .average, !roots.isEmpty {
                    let count = S(roots.count)
                    for i in 0..<(rows * targets) { outBase[i] /= count }
                }
                return
            }
            for r in 0..<rows {
                let row = base + r * width
                let scores = outBase + r * targets
                // Only MIN and MAX get here: SUM and AVERAGE returned above.
                for t in 0..<targets { seen[t] = false }
                for root in roots {
                    let n = leaf(root, row, thresholds)
                    for v in Int(voteStarts[n])..<Int(voteEnds[n]) {
                        let t = Int(voteTargets[v])
                        let w = weights[v]
                        if !seen[t] || (aggregate == .min ? w < scores[t] : w > scores[t]) { scores[t] = w }
                        seen[t] = true
                    }
                }
            }
        }
        return out
    }
}
