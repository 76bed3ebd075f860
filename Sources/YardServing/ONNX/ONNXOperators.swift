/// The operators the evaluator implements, by domain, and how each node becomes a kernel. A node
/// outside this table, or an opset newer than `newestOpset`, is refused at load.
enum ONNXOperators {
    static let standardDomain = ""
    static let mlDomain = "ai.onnx.ml"
    /// The newest operator-set version whose semantics every kernel here follows. Opsets 22–25 changed
    /// none of the standard operators above except to admit new element types (bfloat16, float4/8,
    /// int2/4), which the tensor decoder refuses by name; 22 is what skl2onnx 1.20 writes by default.
    static let newestOpset: [String: Int] = [standardDomain: 25, mlDomain: 5]

    static let standard: [String] = [
        "Abs", "Add", "ArgMax", "Cast", "CastLike", "Clip", "Concat", "Constant", "Div", "Exp", "Flatten", "Gather",
        "Gemm", "Identity", "Log", "MatMul", "Mul", "Neg", "Pow", "ReduceSum", "Relu", "Reshape", "Shape", "Sigmoid",
        "Softmax", "Sqrt", "Squeeze", "Sub", "Tanh", "Unsqueeze",
    ]
    static let ml: [String] = [
        "ArrayFeatureExtractor", "Binarizer", "FeatureVectorizer", "Imputer", "LabelEncoder", "LinearClassifier",
        "LinearRegressor", "Normalizer", "OneHotEncoder", "Scaler", "TreeEnsemble", "TreeEnsembleClassifier",
        "TreeEnsembleRegressor", "ZipMap",
    ]

    static func normalizedDomain(_ domain: String) -> String { domain == "ai.onnx" ? standardDomain : domain }

    static func build(_ context: ONNXNodeContext) throws(InferenceError) -> any ONNXKernel {
        let op = context.node.opType
        if context.domain == mlDomain, ml.contains(op) { return try buildML(op, context) }
        if context.domain == standardDomain, standard.contains(op) { return try buildStandard(op, context) }
        let domainName = context.domain.isEmpty ? "ai.onnx" : context.domain
        let supported = context.domain == mlDomain ? ml : context.domain == standardDomain ? standard : []
        let list = supported.isEmpty ? "supported domains: ai.onnx, ai.onnx.ml" : "supported: \(supported.joined(separator: ", "))"
        throw InferenceError(.unsupported, "operator '\(op)' (domain \(domainName)) is not supported; \(list)")
    }

    private static func buildStandard(_ op: String, _ c: ONNXNodeContext) throws(InferenceError) -> any ONNXKernel {
        if let function = UnaryKernel.Function(rawValue: op) {
            try c.requireInputs(1...1)
            return UnaryKernel(function: function)
        }
        if let operation = BinaryKernel.Operation(rawValue: op) {
            try c.requireInputs(2...2)
            return BinaryKernel(operation: operation)
        }
        switch op {
        case "Identity":
            try c.requireInputs(1...1)
            return IdentityKernel()
        case "Cast":
            try c.requireInputs(1...1)
            guard let code = try c.int("to") else { throw c.invalid("has no 'to' attribute") }
            return CastKernel(target: try ONNXTypes.elementType(code: Int(code), context: "\(c.description) target type"))
        case "CastLike":
            try c.requireInputs(2...2)
            return CastKernel(target: nil)
        case "Constant":
            return ConstantKernel(value: try constantValue(c))
        case "Reshape":
            try c.requireInputs(2...2)
            return ReshapeKernel(allowZero: try c.int("allowzero", default: 0) != 0)
        case "Flatten":
            try c.requireInputs(1...1)
            return FlattenKernel(axis: Int(clamping: try c.int("axis", default: 1)))
        case "Concat":
            guard c.inputCount >= 1 else { throw c.invalid("has no inputs") }
            guard let axis = try c.int("axis") else { throw c.invalid("has no 'axis' attribute") }
            return ConcatKernel(axis: Int(clamping: axis))
        case "Gather":
            try c.requireInputs(2...2)
            return GatherKernel(axis: Int(clamping: try c.int("axis", default: 0)))
        case "Squeeze", "Unsqueeze":
            try c.requireInputs(1...2)
            let axes: [Int64]? = c.version < 13 ? try c.ints("axes") : nil
            if op == "Unsqueeze" && c.version < 13 && (axes ?? []).isEmpty { throw c.invalid("has no 'axes' attribute") }
            return SqueezeKernel(unsqueeze: op == "Unsqueeze", attributeAxes: axes)
        case "Shape":
            try c.requireInputs(1...1)
            return ShapeKernel(start: Int(clamping: try c.int("start", default: 0)), end: try c.int("end").map { Int(clamping: $0) })
        case "Clip":
            try c.requireInputs(1...3)
            return ClipKernel(attributeMin: c.version < 11 ? try c.float("min") : nil, attributeMax: c.version < 11 ? try c.float("max") : nil)
        case "MatMul":
            try c.requireInputs(2...2)
            return MatMulKernel()
        case "Gemm":
            try c.requireInputs(2...3)
            return GemmKernel(alpha: Double(try c.float("alpha", default: 1)), beta: Double(try c.float("beta", default: 1)),
                              transposeA: try c.int("transA", default: 0) != 0, transposeB: try c.int("transB", default: 0) != 0)
        case "Softmax":
            try c.requireInputs(1...1)
            let legacy = c.version < 13
            return SoftmaxKernel(axis: Int(clamping: try c.int("axis", default: legacy ? 1 : -1)), coercesTo2D: legacy)
        case "ArgMax":
            try c.requireInputs(1...1)
            return ArgMaxKernel(axis: Int(clamping: try c.int("axis", default: 0)), keepDims: try c.int("keepdims", default: 1) != 0,
                                selectLast: try c.int("select_last_index", default: 0) != 0)
        case "ReduceSum":
            try c.requireInputs(1...2)
            return ReduceSumKernel(attributeAxes: c.version < 13 ? try c.ints("axes") : nil,
                                   keepDims: try c.int("keepdims", default: 1) != 0,
                                   noopWithEmptyAxes: try c.int("noop_with_empty_axes", default: 0) != 0)
        default:
            throw c.unsupported("is listed as supported but has no builder")
        }
    }

    static func constantValue(_ c: ONNXNodeContext) throws(InferenceError) -> Tensor {
        if let tensor = try c.tensor("value", byteBudget: c.node.serializedSizeBudget) { return tensor }
        if let v = try c.float("value_float") { return Tensor(unchecked: [], .float([v])) }
        if let v = try c.int("value_int") { return Tensor(unchecked: [], .int64([v])) }
        if let v = try c.string("value_string") { return Tensor(unchecked: [], .string([v])) }
        if c.has("value_floats") { let v = try c.floats("value_floats"); return Tensor(unchecked: [v.count], .float(v)) }
        if c.has("value_ints") { let v = try c.ints("value_ints"); return Tensor(unchecked: [v.count], .int64(v)) }
        if c.has("value_strings") { let v = try c.strings("value_strings"); return Tensor(unchecked: [v.count], .string(v)) }
        throw c.unsupported("has no value attribute this evaluator supports (value, value_float(s), value_int(s), value_string(s))")
    }

    private static func buildML(_ op: String, _ c: ONNXNodeContext) throws(InferenceError) -> any ONNXKernel {
        switch op {
        case "Scaler":
            try c.requireInputs(1...1)
            return ScalerKernel(offset: try c.floats("offset"), scale: try c.floats("scale"))
        case "Imputer":
            try c.requireInputs(1...1)
            let floats = try c.floats("imputed_value_floats")
            let ints = try c.ints("imputed_value_int64s")
            guard !floats.isEmpty || !ints.isEmpty else { throw c.invalid("has neither imputed_value_floats nor imputed_value_int64s") }
            return ImputerKernel(imputedFloats: floats, replacedFloat: try c.float("replaced_value_float", default: 0),
                                 imputedInts: ints, replacedInt: try c.int("replaced_value_int64", default: 0))
        case "Normalizer":
            try c.requireInputs(1...1)
            let name = try c.string("norm", default: "MAX")
            guard let norm = NormalizerKernel.Norm(rawValue: name) else {
                throw c.unsupported("norm '\(name)' is not supported; supported: MAX, L1, L2")
            }
            return NormalizerKernel(norm: norm)
        case "Binarizer":
            try c.requireInputs(1...1)
            return BinarizerKernel(threshold: try c.float("threshold", default: 0))
        case "OneHotEncoder":
            try c.requireInputs(1...1)
            let strings = try c.strings("cats_strings")
            let ints = try c.ints("cats_int64s")
            guard strings.isEmpty != ints.isEmpty else { throw c.invalid("must have exactly one of cats_strings and cats_int64s") }
            let stringIndex: [String: Int]? = strings.isEmpty ? nil : firstIndex(strings)
            return OneHotEncoderKernel(stringCategories: stringIndex, intCategories: firstIndex(ints), categoryCount: max(strings.count, ints.count),
                                       unknownGivesZeros: try c.int("zeros", default: 1) != 0)
        case "ArrayFeatureExtractor":
            try c.requireInputs(2...2)
            return ArrayFeatureExtractorKernel()
        case "FeatureVectorizer":
            let dimensions = try c.ints("inputdimensions")
            guard dimensions.count == c.inputCount, dimensions.allSatisfy({ $0 >= 0 && $0 < 1 << 24 }) else {
                throw c.invalid("inputdimensions \(dimensions) does not give one non-negative size per input")
            }
            return FeatureVectorizerKernel(dimensions: dimensions.map { Int($0) })
        case "ZipMap":
            try c.requireInputs(1...1)
            let labels = try ClassLabels.parse(c)
            switch labels {
            case .int64(let v): return ZipMapKernel(keys: .int64(v))
            case .string(let v): return ZipMapKernel(keys: .string(v))
            }
        case "LinearClassifier":
            try c.requireInputs(1...1)
            try c.requireOutputs(2...2)
            let labels = try ClassLabels.parse(c)
            let coefficients = try c.floats("coefficients")
            let intercepts = try c.floats("intercepts")
            guard labels.count >= 2 else { throw c.unsupported("has \(labels.count) class label(s); at least 2 are needed") }
            // As in onnxruntime, the intercepts give the number of scored classes (coefficient rows).
            let rows = intercepts.count
            guard rows == labels.count || (rows == 1 && labels.count == 2) else {
                throw c.invalid("has \(rows) intercepts for \(labels.count) class labels")
            }
            guard !coefficients.isEmpty, coefficients.count % rows == 0 else {
                throw c.invalid("has \(coefficients.count) coefficients, not a multiple of \(rows) classes")
            }
            let transform = try PostTransform.parse(c)
            if transform == .softmaxZero || transform == .probit, rows == 1 {
                throw c.unsupported("post_transform '\(transform.rawValue)' with a single coefficient row is not supported")
            }
            return LinearClassifierKernel(coefficients: coefficients, intercepts: intercepts, classes: rows, labels: labels, transform: transform)
        case "LinearRegressor":
            try c.requireInputs(1...1)
            let targets = Int(try c.int("targets", default: 1))
            let coefficients = try c.floats("coefficients")
            let intercepts = try c.floats("intercepts")
            guard targets >= 1, !coefficients.isEmpty, coefficients.count % targets == 0 else {
                throw c.invalid("has \(coefficients.count) coefficients, not a multiple of \(targets) targets")
            }
            guard intercepts.isEmpty || intercepts.count == targets else { throw c.invalid("has \(intercepts.count) intercepts for \(targets) targets") }
            return LinearRegressorKernel(coefficients: coefficients, intercepts: intercepts, targets: targets, transform: try PostTransform.parse(c))
        case "LabelEncoder":
            try c.requireInputs(1...1)
            return try labelEncoder(c)
        case "TreeEnsembleClassifier":
            return try TreeEnsembleBuilder.classifier(c)
        case "TreeEnsembleRegressor":
            return try TreeEnsembleBuilder.regressor(c)
        case "TreeEnsemble":
            guard c.version >= 5 else { throw c.invalid("TreeEnsemble needs ai.onnx.ml opset 5, the model imports \(c.version)") }
            return try TreeEnsembleBuilder.unified(c)
        default:
            throw c.unsupported("is listed as supported but has no builder")
        }
    }

    private static func labelEncoder(_ c: ONNXNodeContext) throws(InferenceError) -> any ONNXKernel {
        if c.version < 2 {
            let classes = try c.strings("classes_strings")
            let defaultInt = try c.int("default_int64", default: -1)
            // Version 1 maps strings to their position, or positions back to strings.
            if c.has("default_string") && !c.has("default_int64") {
                var positions: [Int64: Int] = [:]
                for i in classes.indices { positions[Int64(i)] = i }
                return LabelEncoderKernel(keys: .int64(positions), values: .string(classes), defaultValue: .string([try c.string("default_string", default: "_Unused")]))
            }
            return LabelEncoderKernel(keys: .string(firstIndex(classes)), values: .int64(classes.indices.map { Int64($0) }), defaultValue: .int64([defaultInt]))
        }
        let budget = Int.max
        let keys: LabelEncoderKernel.Keys
        let keyCount: Int
        if let tensor = try c.tensor("keys_tensor", byteBudget: budget) {
            switch tensor.elements {
            case .string(let v): keys = .string(firstIndex(v)); keyCount = v.count
            case .int64(let v): keys = .int64(firstIndex(v)); keyCount = v.count
            case .float(let v): keys = .float(firstIndex(v)); keyCount = v.count
            default: throw c.unsupported("keys_tensor of type \(tensor.elementType) is not supported")
            }
        } else if c.has("keys_strings") {
            let v = try c.strings("keys_strings"); keys = .string(firstIndex(v)); keyCount = v.count
        } else if c.has("keys_int64s") {
            let v = try c.ints("keys_int64s"); keys = .int64(firstIndex(v)); keyCount = v.count
        } else if c.has("keys_floats") {
            let v = try c.floats("keys_floats"); keys = .float(firstIndex(v)); keyCount = v.count
        } else {
            throw c.invalid("has no keys")
        }
        let values: Tensor.Elements
        if let tensor = try c.tensor("values_tensor", byteBudget: budget) { values = tensor.elements }
        else if c.has("values_strings") { values = .string(try c.strings("values_strings")) }
        else if c.has("values_int64s") { values = .int64(try c.ints("values_int64s")) }
        else if c.has("values_floats") { values = .float(try c.floats("values_floats")) }
        else { throw c.invalid("has no values") }
        guard values.count == keyCount else { throw c.invalid("has \(keyCount) keys but \(values.count) values") }
        let fallback: Tensor.Elements
        if let tensor = try c.tensor("default_tensor", byteBudget: budget) { fallback = tensor.elements.cast(to: values.elementType) }
        else {
            switch values.elementType {
            case .string: fallback = .string([try c.string("default_string", default: "_Unused")])
            case .int64: fallback = .int64([try c.int("default_int64", default: -1)])
            case .float: fallback = .float([try c.float("default_float", default: -0.0)])
            default: throw c.unsupported("values of type \(values.elementType) are not supported")
            }
        }
        return LabelEncoderKernel(keys: keys, values: values, defaultValue: fallback)
    }

    private static func firstIndex<K: Hashable>(_ keys: [K]) -> [K: Int] {
        var index: [K: Int] = [:]
        for (i, k) in keys.enumerated() where index[k] == nil { index[k] = i }
        return index
    }
}

extension Onnx_NodeProto {
    /// An upper bound for tensors stored in this node's attributes: its own encoded size.
    var serializedSizeBudget: Int { (try? serializedBytes() as [UInt8])?.count ?? 0 }
}
