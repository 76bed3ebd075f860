import YardJSON

/// An MLflow model signature: what the model's `MLmodel` file says its inputs and outputs are. MLflow
/// writes either a column-based schema (one named, typed column per feature, the usual shape for
/// scikit-learn models logged from a DataFrame) or a tensor-based one (dtype and shape per tensor).
public struct ModelSignature: Sendable, Equatable {
    public struct Field: Sendable, Equatable {
        /// Column or tensor name; tensor-based schemas may leave it out.
        public let name: String?
        /// Column-based: the MLflow column type ("double", "float", "long", "integer", "string", "boolean",
        /// "binary", "datetime"). Tensor-based: "tensor".
        public let type: String
        /// Tensor-based only: the numpy dtype name ("float32", "int64", "object", …).
        public let dtype: String?
        /// Tensor-based only: the shape, -1 for a free dimension.
        public let shape: [Int]?
        public let required: Bool

        public init(name: String?, type: String, dtype: String? = nil, shape: [Int]? = nil, required: Bool = true) {
            self.name = name
            self.type = type
            self.dtype = dtype
            self.shape = shape
            self.required = required
        }

        public var isTensor: Bool { type == "tensor" }
    }

    public let inputs: [Field]
    public let outputs: [Field]

    public init(inputs: [Field], outputs: [Field]) {
        self.inputs = inputs
        self.outputs = outputs
    }

    /// The feature names in the order the model was trained on, when the signature is column-based and
    /// names every column.
    public var inputColumnNames: [String]? {
        guard !inputs.isEmpty, inputs.allSatisfy({ !$0.isTensor }) else { return nil }
        let names = inputs.compactMap(\.name)
        return names.count == inputs.count ? names : nil
    }

    /// Parses the JSON text MLflow stores in `signature.inputs` / `signature.outputs`.
    static func parseSchema(_ text: String, part: String) throws(ModelPackageError) -> [Field] {
        let document: JSONValue
        do {
            document = try JSONParser.parse(Array(text.utf8))
        } catch {
            throw ModelPackageError(.invalidPackage, "MLmodel signature.\(part) is not valid JSON (\(error)).")
        }
        guard case .array(let entries) = document else {
            throw ModelPackageError(.invalidPackage, "MLmodel signature.\(part) must be a JSON list of column or tensor specs.")
        }
        var fields: [Field] = []
        for (position, entry) in entries.enumerated() {
            guard case .object = entry, case .string(let type)? = entry["type"] else {
                throw ModelPackageError(.invalidPackage, "MLmodel signature.\(part)[\(position)] has no \"type\".")
            }
            var name: String?
            if case .string(let text)? = entry["name"] { name = text }
            var required = true
            if case .bool(let flag)? = entry["required"] { required = flag }
            if type == "tensor" {
                guard let spec = entry["tensor-spec"], case .string(let dtype)? = spec["dtype"] else {
                    throw ModelPackageError(.invalidPackage, "MLmodel signature.\(part)[\(position)] is a tensor without \"tensor-spec\".dtype.")
                }
                var shape: [Int]?
                if case .array(let dimensions)? = spec["shape"] {
                    shape = dimensions.compactMap { dimension -> Int? in
                        if case .number(let text) = dimension { return Int(text) }
                        return nil
                    }
                }
                fields.append(Field(name: name, type: type, dtype: dtype, shape: shape, required: required))
            } else {
                fields.append(Field(name: name, type: type, required: required))
            }
        }
        return fields
    }
}
