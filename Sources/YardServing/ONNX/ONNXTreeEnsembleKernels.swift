/// TreeEnsembleClassifier / TreeEnsembleRegressor (ai.onnx.ml 1 and 3) and TreeEnsemble (ai.onnx.ml 5).
enum TreeEnsembleBuilder {
    /// Reads the v1/v3 `nodes_*` table and leaf votes (`class_*` or `target_*`) into forest nodes.
    static func forest(_ context: ONNXNodeContext, votePrefix: String, targets: Int) throws(InferenceError) -> (CompiledForest, usesDouble: Bool) {
        let treeIDs = try context.ints("nodes_treeids")
        let nodeIDs = try context.ints("nodes_nodeids")
        let featureIDs = try context.ints("nodes_featureids")
        let modeNames = try context.strings("nodes_modes")
        let values = try context.floatsOrDoubleTensor("nodes_values") ?? []
        let trueIDs = try context.ints("nodes_truenodeids")
        let falseIDs = try context.ints("nodes_falsenodeids")
        let missing = try context.ints("nodes_missing_value_tracks_true")
        let count = treeIDs.count
        guard count > 0 else { throw context.invalid("has no tree nodes (nodes_treeids is empty)") }
        for (name, length) in [("nodes_nodeids", nodeIDs.count), ("nodes_featureids", featureIDs.count), ("nodes_modes", modeNames.count),
                               ("nodes_values", values.count), ("nodes_truenodeids", trueIDs.count), ("nodes_falsenodeids", falseIDs.count)]
        where length != count {
            throw context.invalid("\(name) has \(length) entries but nodes_treeids has \(count); the node arrays must be parallel")
        }
        guard missing.isEmpty || missing.count == count else {
            throw context.invalid("nodes_missing_value_tracks_true has \(missing.count) entries but there are \(count) nodes")
        }
        struct Key: Hashable { let tree: Int64; let node: Int64 }
        var index: [Key: Int] = [:]
        var roots: [Int] = []
        var seenTrees = Set<Int64>()
        for i in 0..<count {
            let key = Key(tree: treeIDs[i], node: nodeIDs[i])
            guard index[key] == nil else { throw context.invalid("tree \(treeIDs[i]) lists node \(nodeIDs[i]) twice") }
            index[key] = i
            if seenTrees.insert(treeIDs[i]).inserted { roots.append(i) }
        }
        func describe(_ i: Int) -> String { "node \(nodeIDs[i]) of tree \(treeIDs[i])" }
        var nodes: [CompiledForest.Node] = []
        nodes.reserveCapacity(count)
        for i in 0..<count {
            let mode: CompiledForest.Mode
            switch modeNames[i] {
            case "BRANCH_LEQ": mode = .leq
            case "BRANCH_LT": mode = .lt
            case "BRANCH_GTE": mode = .gte
            case "BRANCH_GT": mode = .gt
            case "BRANCH_EQ": mode = .eq
            case "BRANCH_NEQ": mode = .neq
            case "LEAF": mode = .leaf
            default: throw context.unsupported("\(describe(i)) has mode '\(modeNames[i])'; supported: BRANCH_LEQ, BRANCH_LT, BRANCH_GTE, BRANCH_GT, BRANCH_EQ, BRANCH_NEQ, LEAF")
            }
            var trueChild = -1
            var falseChild = -1
            if mode != .leaf {
                guard let t = index[Key(tree: treeIDs[i], node: trueIDs[i])], let f = index[Key(tree: treeIDs[i], node: falseIDs[i])] else {
                    throw context.invalid("\(describe(i)) points to child node \(index[Key(tree: treeIDs[i], node: trueIDs[i])] == nil ? trueIDs[i] : falseIDs[i]), which tree \(treeIDs[i]) does not have")
                }
                trueChild = t
                falseChild = f
            }
            guard featureIDs[i] >= 0, featureIDs[i] < Int64(Int32.max) else {
                throw context.invalid("\(describe(i)) splits on feature \(featureIDs[i]), which is not a valid column index")
            }
            nodes.append(CompiledForest.Node(mode: mode, feature: Int(featureIDs[i]), threshold: values[i],
                                             trueChild: trueChild, falseChild: falseChild,
                                             missingTracksTrue: missing.isEmpty ? false : missing[i] != 0))
        }
        let voteTrees = try context.ints("\(votePrefix)_treeids")
        let voteNodes = try context.ints("\(votePrefix)_nodeids")
        let voteIDs = try context.ints("\(votePrefix)_ids")
        let weights = try context.floatsOrDoubleTensor("\(votePrefix)_weights") ?? []
        for (name, length) in [("\(votePrefix)_nodeids", voteNodes.count), ("\(votePrefix)_ids", voteIDs.count), ("\(votePrefix)_weights", weights.count)]
        where length != voteTrees.count {
            throw context.invalid("\(name) has \(length) entries but \(votePrefix)_treeids has \(voteTrees.count); the leaf arrays must be parallel")
        }
        for k in voteTrees.indices {
            guard let leaf = index[Key(tree: voteTrees[k], node: voteNodes[k])] else {
                throw context.invalid("leaf weight \(k) is for node \(voteNodes[k]) of tree \(voteTrees[k]), which does not exist")
            }
            guard nodes[leaf].mode == .leaf else { throw context.invalid("leaf weight \(k) is attached to \(describe(leaf)), which is not a LEAF") }
            guard voteIDs[k] >= 0, voteIDs[k] < Int64(targets) else {
                throw context.invalid("leaf weight \(k) is for \(votePrefix == "class" ? "class" : "target") \(voteIDs[k]), but there are only \(targets)")
            }
            nodes[leaf].votes.append((Int(voteIDs[k]), weights[k]))
        }
        let forest = try CompiledForest.compile(nodes: nodes, roots: roots, targets: targets, context: context, describe: describe)
        let usesDouble = context.usesDoubleTensor("nodes_values") || context.usesDoubleTensor("\(votePrefix)_weights")
        return (forest, usesDouble)
    }

    static func classifier(_ context: ONNXNodeContext) throws(InferenceError) -> any ONNXKernel {
        try context.requireInputs(1...1)
        try context.requireOutputs(2...2)
        let labels = try ClassLabels.parse(context)
        guard labels.count >= 2 else { throw context.unsupported("has \(labels.count) class label(s); at least 2 are needed") }
        let transform = try PostTransform.parse(context)
        let (forest, usesDouble) = try forest(context, votePrefix: "class", targets: labels.count)
        let base = try context.floatsOrDoubleTensor("base_values") ?? []
        guard base.isEmpty || base.count == labels.count || (labels.count == 2 && base.count == 1) else {
            throw context.invalid("has \(base.count) base_values for \(labels.count) classes")
        }
        let classIDs = Set(try context.ints("class_ids"))
        let binary = labels.count == 2 && classIDs.count == 1
        if binary && transform == .probit && !forest.targetHasVotes[1] {
            throw context.unsupported("post_transform PROBIT with a single scored class is not supported")
        }
        return TreeEnsembleClassifierKernel(forest: forest, usesDouble: usesDouble, labels: labels, base: base.map { Float($0) },
                                            transform: transform, binaryCase: binary)
    }

    static func regressor(_ context: ONNXNodeContext) throws(InferenceError) -> any ONNXKernel {
        try context.requireInputs(1...1)
        try context.requireOutputs(1...1)
        let targets = Int(try context.int("n_targets", default: 1))
        guard targets >= 1, targets <= 1 << 20 else { throw context.invalid("n_targets is \(targets)") }
        let transform = try PostTransform.parse(context)
        guard transform == .none else {
            throw context.unsupported("post_transform '\(transform.rawValue)' is not supported for regressors; supported: NONE")
        }
        let aggregate: CompiledForest.Aggregate
        switch try context.string("aggregate_function", default: "SUM") {
        case "SUM": aggregate = .sum
        case "AVERAGE": aggregate = .average
        case "MIN": aggregate = .min
        case "MAX": aggregate = .max
        case let other: throw context.unsupported("aggregate_function '\(other)' is not supported; supported: SUM, AVERAGE, MIN, MAX")
        }
        let (forest, usesDouble) = try forest(context, votePrefix: "target", targets: targets)
        let base = try context.floatsOrDoubleTensor("base_values") ?? []
        guard base.isEmpty || base.count == targets else { throw context.invalid("has \(base.count) base_values for \(targets) targets") }
        return TreeEnsembleRegressorKernel(forest: forest, usesDouble: usesDouble, aggregate: aggregate, base: base,
                                           outputMatchesInput: false)
    }

    /// ai.onnx.ml 5: interior nodes in `nodes_*`, leaves in `leaf_*`, children flagged as leaf or node.
    static func unified(_ context: ONNXNodeContext) throws(InferenceError) -> any ONNXKernel {
        try context.requireInputs(1...1)
        try context.requireOutputs(1...1)
        func tensorValues(_ name: String) throws(InferenceError) -> [Double] {
            guard let t = try context.tensor(name, byteBudget: Int.max) else { throw context.invalid("is missing attribute '\(name)'") }
            return try t.doubleValues("attribute '\(name)'")
        }
        let features = try context.ints("nodes_featureids")
        let splits = try tensorValues("nodes_splits")
        let modeCodes = try tensorValues("nodes_modes")
        let trueIDs = try context.ints("nodes_truenodeids")
        let falseIDs = try context.ints("nodes_falsenodeids")
        let trueLeafs = try context.ints("nodes_trueleafs")
        let falseLeafs = try context.ints("nodes_falseleafs")
        let missing = try context.ints("nodes_missing_value_tracks_true")
        let roots = try context.ints("tree_roots")
        let leafTargets = try context.ints("leaf_targetids")
        let leafWeights = try tensorValues("leaf_weights")
        let membership = try context.tensor("membership_values", byteBudget: Int.max)?.doubleValues("membership_values") ?? []
        let targets = Int(try context.int("n_targets", default: 1))
        guard targets >= 1, targets <= 1 << 20 else { throw context.invalid("n_targets is \(targets)") }
        let count = features.count
        for (name, length) in [("nodes_splits", splits.count), ("nodes_modes", modeCodes.count), ("nodes_truenodeids", trueIDs.count),
                               ("nodes_falsenodeids", falseIDs.count), ("nodes_trueleafs", trueLeafs.count), ("nodes_falseleafs", falseLeafs.count)]
        where length != count {
            throw context.invalid("\(name) has \(length) entries but nodes_featureids has \(count); the node arrays must be parallel")
        }
        guard missing.isEmpty || missing.count == count else { throw context.invalid("nodes_missing_value_tracks_true has \(missing.count) entries for \(count) nodes") }
        guard leafTargets.count == leafWeights.count else {
            throw context.invalid("leaf_targetids has \(leafTargets.count) entries but leaf_weights has \(leafWeights.count)")
        }
        guard !roots.isEmpty else { throw context.invalid("has no trees (tree_roots is empty)") }
        let aggregate: CompiledForest.Aggregate
        switch try context.int("aggregate_function", default: 1) {
        case 0: aggregate = .average
        case 1: aggregate = .sum
        case 2: aggregate = .min
        case 3: aggregate = .max
        case let other: throw context.unsupported("aggregate_function \(other) is not supported; supported: 0 AVERAGE, 1 SUM, 2 MIN, 3 MAX")
        }
        let transformCode = try context.int("post_transform", default: 0)
        guard transformCode == 0 else { throw context.unsupported("post_transform \(transformCode) is not supported; supported: 0 (NONE)") }

        var sets = membership.split(whereSeparator: { $0.isNaN }).map { Array($0) }.makeIterator()
        var nodes: [CompiledForest.Node] = []
        nodes.reserveCapacity(count + leafTargets.count)
        func child(_ id: Int64, isLeaf: Int64, _ i: Int) throws(InferenceError) -> Int {
            let limit = isLeaf != 0 ? leafTargets.count : count
            guard id >= 0, id < Int64(limit) else {
                throw context.invalid("node \(i) points to \(isLeaf != 0 ? "leaf" : "node") \(id), but there are only \(limit)")
            }
            return isLeaf != 0 ? count + Int(id) : Int(id)
        }
        for i in 0..<count {
            guard let mode = CompiledForest.Mode(rawValue: UInt8(clamping: Int(exactly: modeCodes[i]) ?? 255)), mode != .leaf else {
                throw context.unsupported("node \(i) has mode \(modeCodes[i]); supported: 0–6 (LEQ, LT, GTE, GT, EQ, NEQ, MEMBER)")
            }
            var node = CompiledForest.Node(mode: mode, feature: Int(clamping: features[i]), threshold: splits[i],
                                           trueChild: try child(trueIDs[i], isLeaf: trueLeafs[i], i),
                                           falseChild: try child(falseIDs[i], isLeaf: falseLeafs[i], i),
                                           missingTracksTrue: missing.isEmpty ? false : missing[i] != 0)
            if mode == .member {
                guard let set = sets.next() else { throw context.invalid("node \(i) is a MEMBER split but membership_values has no set left for it") }
                node.memberSet = set
            }
            nodes.append(node)
        }
        for (j, target) in leafTargets.enumerated() {
            guard target >= 0, target < Int64(targets) else { throw context.invalid("leaf \(j) is for target \(target), but n_targets is \(targets)") }
            nodes.append(CompiledForest.Node(mode: .leaf, feature: 0, threshold: 0, trueChild: -1, falseChild: -1,
                                             missingTracksTrue: false, votes: [(Int(target), leafWeights[j])]))
        }
        let rootIndices = roots.map { Int(clamping: $0) }
        let forest = try CompiledForest.compile(nodes: nodes, roots: rootIndices, targets: targets, context: context) { i in
            i < count ? "node \(i)" : "leaf \(i - count)"
        }
        return TreeEnsembleRegressorKernel(forest: forest, usesDouble: false, aggregate: aggregate, base: [],
                                           outputMatchesInput: true)
    }
}

/// The feature matrix a forest reads, checked once per call against the widest feature the trees use.
private func forestInput(_ x: Tensor, _ forest: CompiledForest) throws(InferenceError) -> (layout: RowLayout, elements: Tensor.Elements) {
    let layout = RowLayout(x.shape)
    guard layout.width > forest.maxFeature else {
        throw InferenceError(.invalidInput, "the trees read feature index \(forest.maxFeature), but the input has only \(layout.width) columns")
    }
    switch x.elements {
    case .float, .double: return (layout, x.elements)
    case .int64, .bool: return (layout, .float(try x.floatValues("tree ensemble input")))
    case .string: throw InferenceError(.invalidInput, "a tree ensemble needs numeric input, got strings")
    }
}

/// Runs the forest in the precision onnxruntime uses: float thresholds and sums for float input and
/// float attributes, double where the input or the `*_as_tensor` attributes are double.
private func forestScores(_ forest: CompiledForest, _ elements: Tensor.Elements, _ layout: RowLayout,
                          aggregate: CompiledForest.Aggregate, usesDouble: Bool) -> [Double]? {
    switch elements {
    case .float(let values) where !usesDouble:
        return values.withUnsafeBufferPointer {
            forest.scores($0, rows: layout.rows, width: layout.width, aggregate: aggregate, as: Float.self)
        }.map { Double($0) }
    case .float(let values):
        let widened = values.map { Double($0) }
        return widened.withUnsafeBufferPointer { forest.scores($0, rows: layout.rows, width: layout.width, aggregate: aggregate, as: Double.self) }
    case .double(let values) where usesDouble:
        return values.withUnsafeBufferPointer { forest.scores($0, rows: layout.rows, width: layout.width, aggregate: aggregate, as: Double.self) }
    case .double(let values):
        return values.withUnsafeBufferPointer {
            forest.scores($0, rows: layout.rows, width: layout.width, aggregate: aggregate, as: Float.self)
        }.map { Double($0) }
    default:
        return nil
    }
}

struct TreeEnsembleRegressorKernel: ONNXKernel {
    let forest: CompiledForest
    let usesDouble: Bool
    let aggregate: CompiledForest.Aggregate
    let base: [Double]
    /// TreeEnsemble (ml 5) outputs the input's type; the v1/v3 regressor always outputs float.
    let outputMatchesInput: Bool

    func run(_ inputs: [Value?]) throws(InferenceError) -> [Value] {
        let (layout, elements) = try forestInput(try tensor(inputs, 0), forest)
        let doubleInput = elements.elementType == .double
        let computeInDouble = usesDouble || (outputMatchesInput && doubleInput)
        guard var scores = forestScores(forest, elements, layout, aggregate: aggregate, usesDouble: computeInDouble) else {
            throw InferenceError(.invalidInput, "a tree ensemble needs numeric input")
        }
        let targets = forest.targets
        if !base.isEmpty {
            for r in 0..<layout.rows {
                for t in 0..<targets {
                    // Float models add the base in float, as onnxruntime does.
                    let i = r * targets + t
                    scores[i] = computeInDouble ? scores[i] + base[t] : Double(Float(scores[i]) + Float(base[t]))
                }
            }
        }
        let shape = [layout.rows, targets]
        if outputMatchesInput && doubleInput { return [.tensor(Tensor(unchecked: shape, .double(scores)))] }
        return [.tensor(Tensor(unchecked: shape, .float(scores.map { Float($0) })))]
    }
}

/// Classifier scores and labels with onnxruntime's conventions for two classes scored by one column
/// (the binary trick of GradientBoosting, HistGradientBoosting and binary forests).
struct TreeEnsembleClassifierKernel: ONNXKernel {
    let forest: CompiledForest
    let usesDouble: Bool
    let labels: ClassLabels
    /// base_values already narrowed to the Float scores they are added to, once per model.
    let base: [Float]
    let transform: PostTransform
    let binaryCase: Bool

    func run(_ inputs: [Value?]) throws(InferenceError) -> [Value] {
        let (layout, elements) = try forestInput(try tensor(inputs, 0), forest)
        guard let raw = forestScores(forest, elements, layout, aggregate: .sum, usesDouble: usesDouble) else {
            throw InferenceError(.invalidInput, "a tree ensemble needs numeric input")
        }
        let classes = labels.count
        var probabilities = [Float](repeating: 0, count: layout.rows * classes)
        var winners = [Int](repeating: 0, count: layout.rows)
        probabilities.withUnsafeMutableBufferPointer { out in
            for r in 0..<layout.rows {
                let row = UnsafeMutableBufferPointer(rebasing: out[(r * classes)..<((r + 1) * classes)])
                for c in 0..<classes { row[c] = Float(raw[r * classes + c]) }
                winners[r] = classes > 2 ? finishMulticlass(row, base) : finishTwoClasses(row, base)
            }
        }
        return [.tensor(labels.labels(winners)), .tensor(Tensor(unchecked: [layout.rows, classes], .float(probabilities)))]
    }

    private func finishMulticlass(_ row: UnsafeMutableBufferPointer<Float>, _ base: [Float]) -> Int {
        for (c, b) in base.enumerated() { row[c] += b }
        var best = -1
        for c in row.indices where forest.targetHasVotes[c] || c < base.count {
            if best < 0 || row[c] > row[best] { best = c }
        }
        transform.apply(row)
        return max(best, 0)
    }

    private func finishTwoClasses(_ row: UnsafeMutableBufferPointer<Float>, _ base: [Float]) -> Int {
        var s0 = row[0]
        var s1 = row[1]
        let secondScored = forest.targetHasVotes[1]
        var columns = 2
        if base.count == 2 {
            if secondScored {
                // onnxruntime: base_values[0] is ignored and class 0 mirrors class 1.
                s1 = base[1] + s0
                s0 = -s1
            } else {
                s1 += base[1]
                s0 += base[0]
            }
        } else {
            if base.count == 1 { s0 += base[0] }
            if !secondScored { columns = 1 }
        }
        let positive = secondScored ? s1 : s0
        let winner: Int
        var mirror = -1
        if binaryCase {
            if forest.weightsAreAllNonNegative {
                winner = positive > 0.5 ? 1 : 0
                mirror = 0
            } else {
                winner = positive > 0 ? 1 : 0
                mirror = 2
            }
        } else {
            winner = positive > 0 ? 1 : 0
        }
        if columns == 2 {
            row[0] = s0
            row[1] = s1
            transform.apply(row)
        } else if mirror == 0 {
            row[0] = 1 - s0
            row[1] = s0
        } else if transform == .logistic {
            row[0] = logisticScore(-s0)
            row[1] = logisticScore(s0)
        } else {
            row[0] = -s0
            row[1] = s0
        }
        return winner
    }
}
