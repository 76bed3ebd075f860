import Foundation
import Testing
@testable import YardServing

@Suite("ONNX evaluator")
struct ONNXEvaluatorTests {
    // MARK: helpers

    private func load(_ builder: ONNXGraphBuilder) throws -> ONNXModel { try ONNXModel(bytes: builder.bytes()) }

    private func floats(_ value: Value?) -> [Float] {
        if case .tensor(let t)? = value, case .float(let v) = t.elements { return v }
        return []
    }

    private func loadError(_ bytes: [UInt8]) -> InferenceError? {
        do { _ = try ONNXModel(bytes: bytes); return nil } catch { return error }
    }

    private func loadError(_ builder: ONNXGraphBuilder) throws -> InferenceError? { loadError(try builder.bytes()) }

    private func close(_ a: [Float], _ b: [Float], _ tolerance: Float = 1e-6) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= tolerance * max(1, abs($1)) }
    }

    private func x(_ rows: [[Float]]) throws -> Tensor {
        try Tensor(shape: [rows.count, rows.first?.count ?? 0], elements: .float(rows.flatMap { $0 }))
    }

    private func regressorGraph(_ tree: SmallTree, extra: [Onnx_AttributeProto] = [], leafTargets: [Int64] = [0, 0, 0]) -> ONNXGraphBuilder {
        var g = ONNXGraphBuilder()
        g.input("X", .float, [nil, 2])
        g.output("Y", .float, [nil, 1])
        g.node("TreeEnsembleRegressor", ["X"], ["Y"], domain: "ai.onnx.ml", tree.nodeAttributes + [
            Attr.ints("target_treeids", [0, 0, 0]), Attr.ints("target_nodeids", [2, 3, 4]), Attr.ints("target_ids", leafTargets),
            Attr.floats("target_weights", [10, 20, 30]), Attr.int("n_targets", 1),
        ] + extra)
        return g
    }

    // MARK: operators against hand-computed results

    @Test func linearRegressorAndMetadata() throws {
        var g = ONNXGraphBuilder()
        g.producer = "skl2onnx"
        g.input("X", .float, [nil, 3])
        g.output("variable", .float, [nil, 1])
        g.node("LinearRegressor", ["X"], ["variable"], domain: "ai.onnx.ml",
               [Attr.floats("coefficients", [1, -2, 0.5]), Attr.floats("intercepts", [4])])
        let model = try load(g)
        #expect(model.inputs == [ValueInfo(name: "X", kind: .tensor(.float, shape: [nil, 3]))])
        #expect(model.opsets == ["": 17, "ai.onnx.ml": 3])
        #expect(model.producer == "skl2onnx 1.0")
        let out = try model.predict(["X": x([[1, 2, 3], [0, 0, 2]])])
        #expect(out.map(\.name) == ["variable"])
        #expect(out[0].value.tensor?.shape == [2, 1])
        let expected: [Float] = [2.5, 5]   // 1·1 − 2·2 + 0.5·3 + 4, 0.5·2 + 4
        #expect(floats(out[0].value) == expected)
    }

    @Test func scalerThenBroadcastAddThenRelu() throws {
        var g = ONNXGraphBuilder()
        g.input("X", .float, [nil, 3])
        g.output("Y", .float, [nil, 3])
        g.initializer("bias", floats: [1, -10, 0], dims: [3])
        g.node("Scaler", ["X"], ["s"], domain: "ai.onnx.ml", [Attr.floats("offset", [1, 2, 3]), Attr.floats("scale", [2, 0.5, 1])])
        g.node("Add", ["s", "bias"], ["a"])
        g.node("Relu", ["a"], ["Y"])
        let model = try load(g)
        #expect(model.inputs.map(\.name) == ["X"], "an initializer is not a model input")
        let y = floats(try model.predict(["X": x([[2, 4, 5], [0, 40, 3]])])[0].value)
        // (2-1)*2+1=3, (4-2)*.5-10<0 → 0, 5-3=2; (0-1)*2+1=-1 → 0, (40-2)*.5-10=9, 0
        let expected: [Float] = [3, 0, 2, 0, 9, 0]
        #expect(y == expected)
    }

    @Test func broadcastingFollowsNumpyRules() throws {
        var g = ONNXGraphBuilder()
        g.input("A", .float, [2, 1])
        g.input("B", .float, [3])
        g.output("C", .float, nil)
        g.node("Mul", ["A", "B"], ["C"])
        let out = try load(g).predict(["A": Tensor(shape: [2, 1], elements: .float([2, 3])), "B": Tensor(shape: [3], elements: .float([1, 10, 100]))])
        #expect(out[0].value.tensor?.shape == [2, 3])
        #expect(floats(out[0].value) == [2, 20, 200, 3, 30, 300])
    }

    @Test func matMulAddSoftmaxArgMax() throws {
        var g = ONNXGraphBuilder()
        g.input("X", .float, [nil, 2])
        g.output("P", .float, nil)
        g.output("L", .int64, nil)
        g.initializer("W", floats: [1, 0, 0, 1, 1, 1], dims: [2, 3])
        g.initializer("b", floats: [0, 2, 0], dims: [3])
        g.node("MatMul", ["X", "W"], ["m"])
        g.node("Add", ["m", "b"], ["z"])
        g.node("Softmax", ["z"], ["P"], [Attr.int("axis", 1)])
        g.node("ArgMax", ["P"], ["L"], [Attr.int("axis", 1), Attr.int("keepdims", 0)])
        let out = try load(g).predict(["X": x([[1, 2]])])
        let z: [Float] = [1 + 2, 2 + 2, 2]   // X·W + b with W = [[1,0,0],[1,1,1]]
        let e = z.map { expf($0 - 4) }
        #expect(close(floats(out[0].value), e.map { $0 / e.reduce(0, +) }))
        if case .int64(let labels)? = out[1].value.tensor?.elements { #expect(labels == [1]) } else { Issue.record("labels are not int64") }
    }

    @Test func gemmTransposesAndScales() throws {
        var g = ONNXGraphBuilder()
        g.input("A", .float, [1, 2])
        g.output("Y", .float, nil)
        g.initializer("B", floats: [1, 2, 3, 4], dims: [2, 2])
        g.initializer("C", floats: [100], dims: [1])
        g.node("Gemm", ["A", "B", "C"], ["Y"], [Attr.int("transB", 1), Attr.float("alpha", 2), Attr.float("beta", 0.5)])
        let y = floats(try load(g).predict(["A": x([[1, 1]])])[0].value)
        let expected: [Float] = [2 * 3 + 50, 2 * 7 + 50]
        #expect(y == expected)
    }

    @Test func oneHotEncoderOfStringsConcatenatesAndReshapes() throws {
        var g = ONNXGraphBuilder()
        g.input("X", .string, [nil, 2])
        g.output("Y", .float, [nil, 5])
        g.initializer("c0", ints: [0], dims: [1])
        g.initializer("c1", ints: [1], dims: [1])
        g.initializer("shape", ints: [-1, 5], dims: [2])
        g.node("Gather", ["X", "c0"], ["x0"], [Attr.int("axis", 1)])
        g.node("Gather", ["X", "c1"], ["x1"], [Attr.int("axis", 1)])
        g.node("OneHotEncoder", ["x0"], ["o0"], domain: "ai.onnx.ml", [Attr.strings("cats_strings", ["a", "b"]), Attr.int("zeros", 1)])
        g.node("OneHotEncoder", ["x1"], ["o1"], domain: "ai.onnx.ml", [Attr.strings("cats_strings", ["x", "y", "z"]), Attr.int("zeros", 1)])
        g.node("Concat", ["o0", "o1"], ["c"], [Attr.int("axis", -1)])
        g.node("Reshape", ["c", "shape"], ["Y"])
        let out = try load(g).predict(["X": Tensor(shape: [2, 2], elements: .string(["b", "z", "unknown", "x"]))])
        #expect(out[0].value.tensor?.shape == [2, 5])
        #expect(floats(out[0].value) == [0, 1, 0, 0, 1, 0, 0, 1, 0, 0])
    }

    @Test func imputerNormalizerAndCast() throws {
        var g = ONNXGraphBuilder()
        g.input("X", .float, [nil, 2])
        g.output("Y", .double, nil)
        g.node("Imputer", ["X"], ["i"], domain: "ai.onnx.ml", [Attr.floats("imputed_value_floats", [3, 4]), Attr.float("replaced_value_float", .nan)])
        g.node("Normalizer", ["i"], ["n"], domain: "ai.onnx.ml", [Attr.string("norm", "L2")])
        g.node("Cast", ["n"], ["Y"], [Attr.int("to", 11)])
        let out = try load(g).predict(["X": x([[.nan, .nan], [6, 8]])])
        guard case .double(let y)? = out[0].value.tensor?.elements else { Issue.record("Cast to double did not give doubles"); return }
        #expect(y.map { Float($0) } == [0.6, 0.8, 0.6, 0.8])
    }

    @Test func linearClassifierWithZipMapGivesLabelsAndMaps() throws {
        var g = ONNXGraphBuilder()
        g.input("X", .float, [nil, 1])
        g.output("label", .int64, [nil])
        g.mapOutput("probabilities")
        g.node("LinearClassifier", ["X"], ["label", "p"], domain: "ai.onnx.ml", [
            Attr.floats("coefficients", [-1, 1]), Attr.floats("intercepts", [0, 0]), Attr.ints("classlabels_ints", [7, 9]),
            Attr.string("post_transform", "LOGISTIC"), Attr.int("multi_class", 0),
        ])
        g.node("ZipMap", ["p"], ["probabilities"], domain: "ai.onnx.ml", [Attr.ints("classlabels_int64s", [7, 9])])
        let out = try load(g).predict(["X": x([[2], [-1]])])
        if case .int64(let labels)? = out[0].value.tensor?.elements { #expect(labels == [9, 7]) } else { Issue.record("labels are not int64") }
        guard case .mapSequence(let maps) = out[1].value else { Issue.record("ZipMap did not give maps"); return }
        let sigmoid: (Float) -> Float = { 1 / (1 + expf(-$0)) }
        #expect(maps.rows == 2)
        if case .int64(let keys) = maps.keys { #expect(keys == [7, 9]) } else { Issue.record("keys are not int64") }
        #expect(close(maps.values, [sigmoid(-2), sigmoid(2), sigmoid(1), sigmoid(-1)]))
    }

    @Test func treeRegressorWalksSplitsAndNaNFollowsMissingFlag() throws {
        let model = try load(regressorGraph(SmallTree(), extra: [Attr.floats("base_values", [1])]))
        // [0,1]: x0<=.5 → node1, x1<=2 → leaf3 (20); [0,5] → leaf4 (30); [1,0] → leaf2 (10);
        // [0,NaN]: node1 tracks missing true → leaf3; [NaN,0]: node0 does not → leaf2.
        let y = floats(try model.predict(["X": x([[0, 1], [0, 5], [1, 0], [0, .nan], [.nan, 0]])])[0].value)
        #expect(y == [21, 31, 11, 21, 11])
    }

    @Test func treeClassifierBinaryTrickUsesLogisticOfOneScore() throws {
        var g = ONNXGraphBuilder()
        g.input("X", .float, [nil, 2])
        g.output("label", .int64, [nil])
        g.output("probabilities", .float, [nil, 2])
        g.node("TreeEnsembleClassifier", ["X"], ["label", "probabilities"], domain: "ai.onnx.ml", SmallTree().nodeAttributes + [
            Attr.ints("class_treeids", [0, 0, 0]), Attr.ints("class_nodeids", [2, 3, 4]), Attr.ints("class_ids", [0, 0, 0]),
            Attr.floats("class_weights", [-1, 0.5, 2]), Attr.ints("classlabels_int64s", [0, 1]), Attr.floats("base_values", [0.25]),
            Attr.string("post_transform", "LOGISTIC"),
        ])
        let out = try load(g).predict(["X": x([[1, 0], [0, 5]])])
        let sigmoid: (Float) -> Float = { 1 / (1 + expf(-$0)) }
        if case .int64(let labels)? = out[0].value.tensor?.elements { #expect(labels == [0, 1]) } else { Issue.record("labels are not int64") }
        #expect(close(floats(out[1].value), [sigmoid(0.75), sigmoid(-0.75), sigmoid(-2.25), sigmoid(2.25)]))
    }

    @Test func forestClassifierAveragesVotesAndPicksTheLargest() throws {
        var tree = SmallTree()
        // Two copies of the tree (ids 0 and 1) voting for three classes.
        tree.treeIDs += [1, 1, 1, 1, 1]
        tree.nodeIDs += tree.nodeIDs
        tree.features += tree.features
        tree.modes += tree.modes
        tree.values += [0.5, 1, 0, 0, 0]
        tree.trueIDs += tree.trueIDs
        tree.falseIDs += tree.falseIDs
        tree.missingTrue += tree.missingTrue
        var g = ONNXGraphBuilder()
        g.input("X", .float, [nil, 2])
        g.output("label", .string, [nil])
        g.output("probabilities", .float, [nil, 3])
        g.node("TreeEnsembleClassifier", ["X"], ["label", "probabilities"], domain: "ai.onnx.ml", tree.nodeAttributes + [
            Attr.ints("class_treeids", [0, 0, 0, 1, 1, 1]), Attr.ints("class_nodeids", [2, 3, 4, 2, 3, 4]),
            Attr.ints("class_ids", [0, 1, 2, 0, 1, 2]), Attr.floats("class_weights", [0.5, 0.5, 0.5, 0.5, 0.5, 0.5]),
            Attr.strings("classlabels_strings", ["a", "b", "c"]),
        ])
        let out = try load(g).predict(["X": x([[0, 1.5], [2, 0]])])
        // Row 1: tree 0 → leaf3 (b), tree 1 (threshold 1) → leaf4 (c). Row 2: both → leaf2 (a).
        if case .string(let labels)? = out[0].value.tensor?.elements { #expect(labels == ["b", "a"]) } else { Issue.record("labels are not strings") }
        #expect(floats(out[1].value) == [0, 0.5, 0.5, 1, 0, 0])
    }

    @Test func unifiedTreeEnsembleWithMembershipSplits() throws {
        func tensor(_ name: String, _ type: Int32, floats: [Float] = [], ints: [Int32] = [], doubles: [Double] = [], count: Int) -> Onnx_TensorProto {
            var t = Onnx_TensorProto()
            t.name = name
            t.dataType = type
            t.dims = [Int64(count)]
            t.floatData = floats
            t.int32Data = ints
            t.doubleData = doubles
            return t
        }
        var g = ONNXGraphBuilder()
        g.opsets = ["": 21, "ai.onnx.ml": 5]
        g.input("X", .float, [nil, 2])
        g.output("Y", .float, [nil, 1])
        // node 0: x1 ∈ {1, 3} ? node 1 : leaf 2; node 1: x0 < 0 ? leaf 0 : leaf 1.
        g.node("TreeEnsemble", ["X"], ["Y"], domain: "ai.onnx.ml", [
            Attr.ints("nodes_featureids", [1, 0]),
            Attr.tensor("nodes_splits", tensor("s", 1, floats: [0, 0], count: 2)),
            Attr.tensor("nodes_modes", tensor("m", 2, ints: [6, 1], count: 2)),
            Attr.ints("nodes_truenodeids", [1, 0]), Attr.ints("nodes_falsenodeids", [2, 1]),
            Attr.ints("nodes_trueleafs", [0, 1]), Attr.ints("nodes_falseleafs", [1, 1]),
            Attr.ints("tree_roots", [0]), Attr.ints("leaf_targetids", [0, 0, 0]),
            Attr.tensor("leaf_weights", tensor("w", 1, floats: [-1, 1, 5], count: 3)),
            Attr.tensor("membership_values", tensor("mv", 1, floats: [1, 3, .nan], count: 3)),
            Attr.int("n_targets", 1),
        ])
        let y = floats(try load(g).predict(["X": x([[-2, 3], [2, 1], [-2, 2]])])[0].value)
        #expect(y == [-1, 1, 5])
    }

    // MARK: requests the model cannot take

    @Test func predictNamesTheBadInput() throws {
        let model = try load(regressorGraph(SmallTree()))
        func message(_ feeds: [String: Tensor]) -> InferenceError? {
            do { _ = try model.predict(feeds); return nil } catch { return error }
        }
        let missing = message([:])
        #expect(missing?.kind == .invalidInput && missing?.message.contains("'X'") == true)
        let wrongType = message(["X": try Tensor(shape: [1, 2], elements: .double([1, 2]))])
        #expect(wrongType?.kind == .invalidInput && wrongType?.message.contains("must be float") == true)
        let wrongWidth = message(["X": try x([[1, 2, 3]])])
        #expect(wrongWidth?.kind == .invalidInput && wrongWidth?.message.contains("axis 1") == true)
        let wrongRank = message(["X": try Tensor(shape: [2], elements: .float([1, 2]))])
        #expect(wrongRank?.kind == .invalidInput && wrongRank?.message.contains("rank 2") == true)
    }

    @Test func featureIndexBeyondTheInputWidthIsABadRequest() throws {
        var tree = SmallTree()
        tree.features = [0, 7, 0, 0, 0]
        var g = regressorGraph(tree)
        g.inputs = [ONNXGraphBuilder.tensorInfo("X", .float, [nil, nil])]
        let model = try load(g)
        do {
            _ = try model.predict(["X": try x([[0, 1]])])
            Issue.record("a feature past the input width was read")
        } catch let error as InferenceError {
            #expect(error.kind == .invalidInput)
            #expect(error.message.contains("feature index 7"))
        }
        #expect(floats(try model.predict(["X": try x([[1, 0, 0, 0, 0, 0, 0, 0]])])[0].value) == [10])
    }

    // MARK: models the evaluator refuses

    @Test func unsupportedOperatorIsNamedWithTheSupportedList() throws {
        var g = ONNXGraphBuilder()
        g.input("X", .float, [nil, 2])
        g.output("Y", .float, nil)
        g.node("SVMClassifier", ["X"], ["Y"], domain: "ai.onnx.ml")
        let error = try loadError(g)
        #expect(error?.kind == .unsupported)
        #expect(error?.message.contains("operator 'SVMClassifier' (domain ai.onnx.ml) is not supported") == true)
        #expect(error?.message.contains("TreeEnsembleClassifier") == true)
    }

    @Test func opsetNewerThanImplementedIsRefused() throws {
        var g = regressorGraph(SmallTree())
        g.opsets = ["": 99, "ai.onnx.ml": 3]
        let error = try loadError(g)
        #expect(error?.kind == .unsupported)
        #expect(error?.message.contains("opset 99") == true)
        g.opsets = ["": 17, "ai.onnx.ml": 3, "com.microsoft": 1]
        #expect(try loadError(g)?.message.contains("com.microsoft") == true)
    }

    @Test func unsupportedAttributeValueIsRefused() throws {
        let error = try loadError(regressorGraph(SmallTree(), extra: [Attr.string("aggregate_function", "MEDIAN")]))
        #expect(error?.kind == .unsupported)
        #expect(error?.message.contains("MEDIAN") == true)
    }

    @Test(arguments: [0, 1, 10, 100])
    func truncatedFileIsInvalid(keep: Int) throws {
        let bytes = try regressorGraph(SmallTree()).bytes()
        let error = loadError(Array(bytes.prefix(min(keep, bytes.count - 1)) + (keep == 0 ? [0xFF, 0xFF] : [])))
        #expect(error != nil)
        #expect(error?.kind == .invalidModel)
    }

    @Test func rawDataOfTheWrongSizeIsInvalid() throws {
        var g = ONNXGraphBuilder()
        g.input("X", .float, [nil, 2])
        g.output("Y", .float, nil)
        var t = Onnx_TensorProto()
        t.name = "b"
        t.dataType = 1
        t.dims = [3]
        t.rawData = Data(count: 8)
        g.initializers = [t]
        g.node("Add", ["X", "b"], ["Y"])
        let error = try loadError(g)
        #expect(error?.kind == .invalidModel)
        #expect(error?.message.contains("raw_data holds 8 bytes") == true)
    }

    @Test(arguments: [[Int64(-1), 2], [Int64.max, 4], [1 << 40, 1]])
    func hostileDimensionsAreInvalid(dims: [Int64]) throws {
        var g = ONNXGraphBuilder()
        g.input("X", .float, [nil, 2])
        g.output("Y", .float, nil)
        var t = Onnx_TensorProto()
        t.name = "b"
        t.dataType = 1
        t.dims = dims
        g.initializers = [t]
        g.node("Add", ["X", "b"], ["Y"])
        #expect(try loadError(g)?.kind == .invalidModel)
    }

    @Test func inputThatNothingProducesIsInvalid() throws {
        var g = ONNXGraphBuilder()
        g.input("X", .float, [nil, 2])
        g.output("Y", .float, nil)
        g.node("Add", ["X", "ghost"], ["Y"], name: "adder")
        let error = try loadError(g)
        #expect(error?.kind == .invalidModel)
        #expect(error?.message.contains("'ghost'") == true && error?.message.contains("adder") == true)
    }

    @Test func valueProducedTwiceIsInvalid() throws {
        var g = ONNXGraphBuilder()
        g.input("X", .float, [nil, 2])
        g.output("Y", .float, nil)
        g.node("Relu", ["X"], ["Y"])
        g.node("Abs", ["X"], ["Y"])
        let error = try loadError(g)
        #expect(error?.kind == .invalidModel)
        #expect(error?.message.contains("'Y' is produced twice") == true)
    }

    @Test func graphCycleIsReportedWithItsNodes() throws {
        var g = ONNXGraphBuilder()
        g.input("X", .float, [nil, 2])
        g.output("Y", .float, nil)
        g.node("Add", ["X", "c"], ["a"], name: "first")
        g.node("Relu", ["a"], ["b"], name: "second")
        g.node("Abs", ["b"], ["c"], name: "third")
        g.node("Identity", ["c"], ["Y"], name: "out")
        let error = try loadError(g)
        #expect(error?.kind == .invalidModel)
        let message = error?.message ?? ""
        #expect(message.contains("cycle") && message.contains("first") && message.contains("second") && message.contains("third"))
        #expect(!message.contains("out"))
    }

    @Test func treeChildOutOfRangeIsInvalid() throws {
        var tree = SmallTree()
        tree.trueIDs[1] = 42
        let error = try loadError(regressorGraph(tree))
        #expect(error?.kind == .invalidModel)
        #expect(error?.message.contains("42") == true)
    }

    @Test func treeCycleIsInvalid() throws {
        var tree = SmallTree()
        tree.falseIDs[1] = 0
        let error = try loadError(regressorGraph(tree))
        #expect(error?.kind == .invalidModel)
        #expect(error?.message.contains("cycle") == true)
    }

    @Test func negativeFeatureIDIsInvalid() throws {
        var tree = SmallTree()
        tree.features[0] = -3
        let error = try loadError(regressorGraph(tree))
        #expect(error?.kind == .invalidModel)
        #expect(error?.message.contains("feature -3") == true)
    }

    @Test func targetIDOutOfRangeIsInvalid() throws {
        let error = try loadError(regressorGraph(SmallTree(), leafTargets: [0, 5, 0]))
        #expect(error?.kind == .invalidModel)
        #expect(error?.message.contains("target 5") == true)
    }

    @Test func classIDOutOfRangeIsInvalid() throws {
        var g = ONNXGraphBuilder()
        g.input("X", .float, [nil, 2])
        g.output("label", .int64, nil)
        g.output("probabilities", .float, nil)
        g.node("TreeEnsembleClassifier", ["X"], ["label", "probabilities"], domain: "ai.onnx.ml", SmallTree().nodeAttributes + [
            Attr.ints("class_treeids", [0]), Attr.ints("class_nodeids", [2]), Attr.ints("class_ids", [3]),
            Attr.floats("class_weights", [1]), Attr.ints("classlabels_int64s", [0, 1]),
        ])
        let error = try loadError(g)
        #expect(error?.kind == .invalidModel)
        #expect(error?.message.contains("class 3") == true)
    }

    @Test func mismatchedParallelArraysAreInvalid() throws {
        var tree = SmallTree()
        tree.values.removeLast()
        let error = try loadError(regressorGraph(tree))
        #expect(error?.kind == .invalidModel)
        #expect(error?.message.contains("nodes_values has 4 entries") == true)
    }

    @Test func leafWeightOnABranchIsInvalid() throws {
        var g = regressorGraph(SmallTree())
        g.nodes[0].attribute = g.nodes[0].attribute.map { $0.name == "target_nodeids" ? Attr.ints("target_nodeids", [2, 3, 1]) : $0 }
        let error = try loadError(g)
        #expect(error?.kind == .invalidModel)
        #expect(error?.message.contains("not a LEAF") == true)
    }
}
