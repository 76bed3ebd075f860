import Testing
import YardJSON
@testable import YardServing

/// A stand-in model: declares inputs and outputs, records nothing, and answers with outputs computed
/// from the feeds (row sums as labels), so codec tests need no evaluator.
private struct FakeModel: InferenceModel {
    let inputs: [ValueInfo]
    let outputs: [ValueInfo] = [
        ValueInfo(name: "label", kind: .tensor(.int64, shape: [nil])),
        ValueInfo(name: "probabilities", kind: .tensor(.float, shape: [nil, 2])),
    ]

    func predict(_ feeds: [String: Tensor]) throws(InferenceError) -> [(name: String, value: Value)] {
        guard let first = inputs.first, let tensor = feeds[first.name] else {
            throw InferenceError(.invalidInput, "missing input")
        }
        let rows = tensor.shape.first ?? 1
        return [
            ("label", .tensor(Tensor(unchecked: [rows], .int64((0..<rows).map(Int64.init))))),
            ("probabilities", .tensor(Tensor(unchecked: [rows, 2], .float((0..<rows).flatMap { _ in [Float(0.25), 0.75] })))),
        ]
    }
}

private func singleInputModel(features: Int = 3, type: ElementType = .float, signature: [String]? = nil) -> ServableModel {
    let model = FakeModel(inputs: [ValueInfo(name: "X", kind: .tensor(type, shape: [nil, features]))])
    let fields = signature.map { names in names.map { ModelSignature.Field(name: $0, type: "double") } }
    return ServableModel(model: model, signature: fields.map { ModelSignature(inputs: $0, outputs: []) })
}

/// A ColumnTransformer converted with one [N, 1] input per column.
private func perColumnModel() -> ServableModel {
    ServableModel(model: FakeModel(inputs: [
        ValueInfo(name: "age", kind: .tensor(.float, shape: [nil, 1])),
        ValueInfo(name: "plan", kind: .tensor(.string, shape: [nil, 1])),
        ValueInfo(name: "visits", kind: .tensor(.int64, shape: [nil, 1])),
    ]))
}

private func parse(_ text: String, _ contentType: String? = "application/json") throws(CodecError) -> ScoringInput {
    try ScoringCodec.parse(body: Array(text.utf8), contentType: contentType)
}

private func feeds(_ model: ServableModel, _ text: String, _ contentType: String = "application/json") throws(CodecError) -> ModelFeeds {
    try model.feeds(for: try parse(text, contentType))
}

private func floats(_ tensor: Tensor?) -> [Float] {
    if case .float(let values)? = tensor?.elements { return values }
    return []
}

/// Runs `body` and returns the codec error's message, or nil when it did not throw.
private func codecError(_ body: () throws -> Void) -> CodecError? {
    do {
        try body()
        return nil
    } catch {
        return error as? CodecError
    }
}

@Suite("Serving codecs: MLflow scoring requests")
struct ScoringRequestTests {
    @Test func contentTypes() throws {
        #expect(try parse(#"{"inputs": [[1, 2, 3]]}"#, "application/json; charset=utf-8").format == .inputs)
        #expect(try parse("a,b\n1,2\n", "text/csv").format == .csv)
        #expect(try parse("a,b\n1,2\n", "Text/CSV; charset=UTF-8").format == .csv)
        for bad in [nil, "text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin-1"] {
            let error = codecError { _ = try parse(#"{"inputs": [[1]]}"#, bad) }
            #expect(error?.kind == .unsupportedMediaType, "\(bad ?? "nil")")
            #expect(error?.httpStatus == 415)
        }
    }

    @Test func topLevelShapesNameTheAcceptedKeys() {
        for body in [#"[1, 2]"#, #"{}"#, #"{"instances": [[1]], "inputs": [[1]]}"#, #"{"signature_name": "x", "inputs": [[1]]}"#] {
            let error = codecError { _ = try parse(body) }
            #expect(error?.kind == .invalidInput, "\(body)")
            #expect(error?.message.contains("dataframe_split, dataframe_records, instances, inputs") == true, "\(error?.message ?? "")")
        }
        #expect(codecError { _ = try parse(#"{"signature_name": "x", "inputs": [[1]]}"#) }?.message.contains("'signature_name'") == true)
        #expect(codecError { _ = try parse("{not json") }?.message.contains("not valid JSON") == true)
        #expect(codecError { _ = try parse(#"{"inputs": [[1]], "params": [1]}"#) }?.message.contains("params") == true)
    }

    @Test func dataframeSplitFollowsTheSignatureOrder() throws {
        let model = singleInputModel(signature: ["age", "income", "tenure"])
        let result = try feeds(model, #"{"dataframe_split": {"columns": ["tenure", "age", "income"], "data": [[3, 1, 2], [6, 4, 5.5]]}}"#)
        #expect(result.rows == 2)
        #expect(result.tensors["X"]?.shape == [2, 3])
        #expect(floats(result.tensors["X"]) == [1, 2, 3, 4, 5.5, 6])
        #expect(result.inputRow(1) == .object([("age", .number("4.0")), ("income", .number("5.5")), ("tenure", .number("6.0"))]))
    }

    @Test func signatureColumnsMissingOrUnknownAreNamed() {
        let model = singleInputModel(signature: ["age", "income", "tenure"])
        let missing = codecError { _ = try feeds(model, #"{"dataframe_split": {"columns": ["age", "income"], "data": [[1, 2]]}}"#) }
        #expect(missing?.message.contains("column 'tenure' is missing") == true, "\(missing?.message ?? "")")
        let unknown = codecError { _ = try feeds(model, #"{"dataframe_records": [{"age": 1, "income": 2, "tenure": 3, "zip": 4}]}"#) }
        #expect(unknown?.message.contains("column 'zip' is not an input") == true, "\(unknown?.message ?? "")")
    }

    @Test func withoutSignatureColumnsGoInRequestOrderWhenTheCountFits() throws {
        let model = singleInputModel()
        let result = try feeds(model, #"{"dataframe_split": {"columns": ["c", "a", "b"], "data": [[1, 2, 3]]}}"#)
        #expect(floats(result.tensors["X"]) == [1, 2, 3])
        let error = codecError { _ = try feeds(model, #"{"dataframe_split": {"columns": ["a", "b"], "data": [[1, 2]]}}"#) }
        #expect(error?.message.contains("model input 'X' takes 3 features per row, the request has 2 columns (a, b)") == true, "\(error?.message ?? "")")
    }

    @Test func dataframeSplitRowsMustMatchTheColumns() {
        let error = codecError { _ = try parse(#"{"dataframe_split": {"columns": ["a", "b"], "data": [[1, 2], [3]]}}"#) }
        #expect(error?.message.contains("dataframe_split.data[1] has 1 values, but columns has 2") == true, "\(error?.message ?? "")")
        let nested = codecError { _ = try parse(#"{"dataframe_split": {"columns": ["a"], "data": [[[1]]]}}"#) }
        #expect(nested?.message.contains("dataframe_split.data[0][0] (column 'a')") == true, "\(nested?.message ?? "")")
        let records = codecError { _ = try parse(#"{"dataframe_records": [{"a": 1}, 2]}"#) }
        #expect(records?.message.contains("dataframe_records[1]") == true, "\(records?.message ?? "")")
    }

    @Test func missingValuesAreNaNOnlyForFloatInputs() throws {
        let model = singleInputModel(signature: ["a", "b", "c"])
        let result = try feeds(model, #"{"dataframe_records": [{"a": 1, "b": null, "c": "NaN"}, {"a": 2, "c": 3}]}"#)
        let values = floats(result.tensors["X"])
        #expect(values[0] == 1 && values[1].isNaN && values[2].isNaN)
        #expect(values[3] == 2 && values[4].isNaN && values[5] == 3)
        let integer = singleInputModel(type: .int64, signature: ["a", "b", "c"])
        let error = codecError { _ = try feeds(integer, #"{"dataframe_records": [{"a": 1, "b": 2, "c": 3}, {"a": 2, "c": 3}]}"#) }
        #expect(error?.message.contains("column 'b', row 1: missing value, and the input is int64") == true, "\(error?.message ?? "")")
        let fraction = codecError { _ = try feeds(integer, #"{"dataframe_split": {"columns": ["a", "b", "c"], "data": [[1, 2.5, 3]]}}"#) }
        #expect(fraction?.message.contains("column 'b', row 0: 2.5 is not an integer") == true, "\(fraction?.message ?? "")")
    }

    @Test func wrongTypesNameColumnAndRow() {
        let model = singleInputModel(signature: ["age", "income", "tenure"])
        let text = codecError { _ = try feeds(model, #"{"dataframe_split": {"columns": ["age", "income", "tenure"], "data": [[1, 2, 3], [4, "lots", 6]]}}"#) }
        #expect(text?.message == "column 'income', row 1: 'lots' is not a number", "\(text?.message ?? "")")
        let infinite = codecError { _ = try feeds(model, #"{"dataframe_split": {"columns": ["age", "income", "tenure"], "data": [[1, "Infinity", 3]]}}"#) }
        #expect(infinite?.message.contains("column 'income', row 0: infinite values are not accepted") == true, "\(infinite?.message ?? "")")
        let huge = codecError { _ = try feeds(model, #"{"dataframe_split": {"columns": ["age", "income", "tenure"], "data": [[1, 1e300, 3]]}}"#) }
        #expect(huge?.message.contains("column 'income', row 0") == true, "\(huge?.message ?? "")")
    }

    @Test func booleansAndNumericStringsConvert() throws {
        let model = singleInputModel(signature: ["a", "b", "c"])
        let result = try feeds(model, #"{"dataframe_split": {"columns": ["a", "b", "c"], "data": [[true, "2.5", false]]}}"#)
        #expect(floats(result.tensors["X"]) == [1, 2.5, 0])
        let boolModel = singleInputModel(features: 2, type: .bool)
        let bools = try feeds(boolModel, #"{"dataframe_split": {"columns": ["a", "b"], "data": [["True", 0]]}}"#)
        if case .bool(let values)? = bools.tensors["X"]?.elements { #expect(values == [true, false]) } else { Issue.record("not bool") }
        let bad = codecError { _ = try feeds(boolModel, #"{"dataframe_split": {"columns": ["a", "b"], "data": [["yes", 0]]}}"#) }
        #expect(bad?.message.contains("column 'a', row 0: 'yes' is not a boolean") == true, "\(bad?.message ?? "")")
    }

    @Test func csvWithQuotesCRLFAndMissingCells() throws {
        let model = perColumnModel()
        let csv = "age,plan,visits\r\n31,\"pro, yearly\",4\r\n,\"say \"\"hi\"\"\",7\r\n"
        let result = try feeds(model, csv, "text/csv")
        #expect(result.rows == 2)
        #expect(result.tensors["plan"]?.shape == [2, 1])
        if case .string(let plans)? = result.tensors["plan"]?.elements { #expect(plans == ["pro, yearly", "say \"hi\""]) } else { Issue.record("plan") }
        let ages = floats(result.tensors["age"])
        #expect(ages[0] == 31 && ages[1].isNaN)
        if case .int64(let visits)? = result.tensors["visits"]?.elements { #expect(visits == [4, 7]) } else { Issue.record("visits") }
    }

    @Test func csvErrorsNameTheLine() {
        let ragged = codecError { _ = try parse("a,b\n1,2\n3\n", "text/csv") }
        #expect(ragged?.message.contains("CSV line 3 has 1 fields, the header has 2") == true, "\(ragged?.message ?? "")")
        let unclosed = codecError { _ = try parse("a,b\n1,\"2\n", "text/csv") }
        #expect(unclosed?.message.contains("CSV line 2") == true, "\(unclosed?.message ?? "")")
        #expect(codecError { _ = try parse("", "text/csv") }?.message.contains("header row") == true)
        let noRows = codecError { _ = try feeds(singleInputModel(features: 2), "a,b\n", "text/csv") }
        #expect(noRows?.message.contains("no rows") == true)
    }

    @Test func csvReaderHandlesChunkBoundaries() throws {
        let text = Array("a,b\n\"x\"\"y\",2\n\n3,\"4\n5\"\n".utf8)
        for split in 1..<text.count {
            var reader = CSVReader()
            var records = try reader.feed(text[..<split]) + reader.feed(text[split...])
            if let last = try reader.finish() { records.append(last) }
            #expect(records.map(\.fields) == [["a", "b"], ["x\"y", "2"], ["3", "4\n5"]], "split at \(split)")
            #expect(records.map(\.line) == [1, 2, 4])
        }
    }

    @Test func csvByteOrderMarkIsSkipped() throws {
        var reader = CSVReader()
        let records = try reader.feed([0xEF, 0xBB] + [0xBF] + Array("age,b\n1,2\n".utf8))
        #expect(records.map(\.fields) == [["age", "b"], ["1", "2"]])
    }

    @Test func csvCellsTypeLikePandas() {
        #expect(CSVReader.cell("") == .null)
        #expect(CSVReader.cell("NA") == .null)
        #expect(CSVReader.cell("12") == .number("12"))
        #expect(CSVReader.cell("-1.5e3") == .number("-1.5e3"))
        #expect(CSVReader.cell(".5") == .number("0.5"))
        #expect(CSVReader.cell("+3") == .number("3"))
        #expect(CSVReader.cell("0x10") == .string("0x10"))
        #expect(CSVReader.cell("blue") == .string("blue"))
    }

    @Test func perColumnInputsTakeColumnsByName() throws {
        let model = perColumnModel()
        let result = try feeds(model, #"{"dataframe_records": [{"visits": 2, "plan": 7, "age": 40}]}"#)
        if case .string(let plans)? = result.tensors["plan"]?.elements { #expect(plans == ["7"]) } else { Issue.record("plan") }
        #expect(result.inputRow(0) == .object([("age", .number("40.0")), ("plan", .string("7")), ("visits", .number("2"))]))
        let unknown = codecError { _ = try feeds(model, #"{"dataframe_records": [{"visits": 2, "plan": "a", "age": 40, "city": "x"}]}"#) }
        #expect(unknown?.message.contains("column 'city' is not an input of this model; it takes age, plan, visits") == true, "\(unknown?.message ?? "")")
        let missing = codecError { _ = try feeds(model, #"{"dataframe_records": [{"visits": 2, "age": 40}]}"#) }
        #expect(missing?.message.contains("column 'plan' is missing") == true, "\(missing?.message ?? "")")
        let nullString = codecError { _ = try feeds(model, #"{"dataframe_records": [{"visits": 2, "plan": null, "age": 40}]}"#) }
        #expect(nullString?.message.contains("column 'plan', row 0: missing value") == true, "\(nullString?.message ?? "")")
    }

    @Test func instancesAndInputsAsPlainLists() throws {
        let model = singleInputModel()
        let result = try feeds(model, #"{"instances": [[1, 2, 3], [4, 5, 6]]}"#)
        #expect(result.tensors["X"]?.shape == [2, 3])
        #expect(floats(result.tensors["X"]) == [1, 2, 3, 4, 5, 6])
        #expect(result.inputRow(0) == .object([("X_0", .number("1.0")), ("X_1", .number("2.0")), ("X_2", .number("3.0"))]))
        let ragged = codecError { _ = try feeds(model, #"{"inputs": [[1, 2, 3], [4, 5]]}"#) }
        #expect(ragged?.message.contains("inputs[1] has 2 entries") == true, "\(ragged?.message ?? "")")
        let narrow = codecError { _ = try feeds(model, #"{"instances": [[1, 2]]}"#) }
        #expect(narrow?.message.contains("model input 'X' takes shape [N, 3], the request has [1, 2]") == true, "\(narrow?.message ?? "")")
        let flat = codecError { _ = try feeds(model, #"{"instances": [1, 2, 3]}"#) }
        #expect(flat?.message.contains("model input 'X' takes shape [N, 3], the request has [3]") == true, "\(flat?.message ?? "")")
        let word = codecError { _ = try feeds(model, #"{"instances": [[1, 2, 3], [4, "x", 6]]}"#) }
        #expect(word?.message.contains("instances, row 1, value 1: 'x' is not a number") == true, "\(word?.message ?? "")")
        let several = codecError { _ = try feeds(perColumnModel(), #"{"inputs": [[1, 2, 3]]}"#) }
        #expect(several?.message.contains("the model has 3 inputs (age, plan, visits)") == true, "\(several?.message ?? "")")
    }

    @Test func namedTensorsByInputOrByColumn() throws {
        let model = perColumnModel()
        let byInput = try feeds(model, #"{"inputs": {"age": [[30], [40]], "plan": ["a", "b"], "visits": [1, 2]}}"#)
        #expect(byInput.rows == 2)
        #expect(byInput.tensors["visits"]?.shape == [2, 1])
        let rowsOfObjects = try feeds(model, #"{"instances": [{"age": 30, "plan": "a", "visits": 1}, {"age": 40, "plan": "b", "visits": 2}]}"#)
        #expect(floats(rowsOfObjects.tensors["age"]) == [30, 40])
        let mismatch = codecError { _ = try feeds(model, #"{"inputs": {"age": [30, 40], "plan": ["a"], "visits": [1, 2]}}"#) }
        #expect(mismatch?.message.contains("input 'plan' has 1 rows, input 'age' has 2") == true, "\(mismatch?.message ?? "")")
        let uneven = codecError { _ = try parse(#"{"instances": [{"age": 30}, {"plan": "b"}]}"#) }
        #expect(uneven?.message.contains("instances[1] has no 'age'") == true, "\(uneven?.message ?? "")")
        // Column names for a single [N, F] input go through the signature, like a table.
        let single = singleInputModel(signature: ["a", "b", "c"])
        let columns = try feeds(single, #"{"inputs": {"c": [3, 6], "b": [2, 5], "a": [1, 4]}}"#)
        #expect(floats(columns.tensors["X"]) == [1, 2, 3, 4, 5, 6])
    }
}

@Suite("Serving codecs: responses and batch output")
struct ScoringResponseTests {
    let outputs: [(name: String, value: Value)] = [
        ("label", .tensor(Tensor(unchecked: [2], .int64([0, 1])))),
        ("probabilities", .tensor(Tensor(unchecked: [2, 2], .float([0.1, 0.9, Float.nan, 0.3])))),
        ("output_probability", .mapSequence(MapSequence(keys: .string(["no", "yes"]), values: [0.25, 0.75, 0.5, 0.5], rows: 2))),
        ("variable", .tensor(Tensor(unchecked: [2, 1], .double([1.5, -2])))),
    ]

    private func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    @Test func dataframeRequestsGetOneObjectPerRow() throws {
        let input = try parse(#"{"dataframe_split": {"columns": ["a"], "data": [[1], [2]]}}"#)
        #expect(text(ScoringCodec.render(outputs: outputs, for: input)) ==
            #"{"predictions":[{"label":0,"probabilities":[0.1,0.9],"output_probability":{"no":0.25,"yes":0.75},"variable":1.5},"#
            + #"{"label":1,"probabilities":[null,0.3],"output_probability":{"no":0.5,"yes":0.5},"variable":-2.0}]}"#)
    }

    @Test func tensorRequestsGetOutputsByName() throws {
        let input = try parse(#"{"instances": [[1], [2]]}"#)
        #expect(text(ScoringCodec.render(outputs: Array(outputs.prefix(2)), for: input)) ==
            #"{"predictions":{"label":[0,1],"probabilities":[[0.1,0.9],[null,0.3]]}}"#)
        #expect(text(ScoringCodec.render(outputs: [outputs[3]], for: input)) == #"{"predictions":[[1.5],[-2.0]]}"#)
    }

    @Test func floatsRenderShortestRoundTrip() {
        let value = Float(0.1) + Float(0.2)
        guard case .number(let rendered) = NumberText.json(value) else { Issue.record("not a number"); return }
        #expect(Float(rendered) == value)
        #expect(NumberText.json(Float(1) / 3) == .number("0.33333334"))
        #expect(NumberText.json(Double.infinity) == .null)
    }

    @Test func batchCSVAndJSONLines() {
        #expect(text(BatchOutput.csvHeader(outputs)) == "label,probabilities_0,probabilities_1,output_probability_no,output_probability_yes,variable\n")
        #expect(text(BatchOutput.rows(outputs, format: .csv)) == "0,0.1,0.9,0.25,0.75,1.5\n1,,0.3,0.5,0.5,-2.0\n")
        let lines = text(BatchOutput.rows(outputs, format: .jsonl)).split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines[0] == #"{"label":0,"probabilities":[0.1,0.9],"output_probability":{"no":0.25,"yes":0.75},"variable":1.5}"#)
        let strings: [(name: String, value: Value)] = [("label", .tensor(Tensor(unchecked: [1], .string(["a,\"b\""]))))]
        #expect(text(BatchOutput.rows(strings, format: .csv)) == "\"a,\"\"b\"\"\"\n")
    }

    @Test func outputRowForThePredictionLog() {
        #expect(ResponseValues.outputRow(outputs, row: 1) == .object([
            ("label", .number("1")), ("probabilities", .array([.null, .number("0.3")])),
            ("output_probability", .object([("no", .number("0.5")), ("yes", .number("0.5"))])), ("variable", .number("-2.0")),
        ]))
    }
}

@Suite("Serving codecs: Open Inference Protocol v2")
struct InferenceProtocolCodecTests {
    private func infer(_ model: ServableModel, _ text: String) throws(CodecError) -> InferenceProtocolCodec.InferRequest {
        try InferenceProtocolCodec.parseInfer(body: Array(text.utf8), model: model)
    }

    @Test func flatAndNestedDataFillTheInput() throws {
        let model = singleInputModel(features: 2)
        let flat = try infer(model, #"{"id": "r1", "inputs": [{"name": "X", "shape": [2, 2], "datatype": "FP32", "data": [1, 2, 3, 4]}]}"#)
        #expect(flat.id == "r1")
        #expect(flat.feeds.tensors["X"]?.shape == [2, 2])
        #expect(floats(flat.feeds.tensors["X"]) == [1, 2, 3, 4])
        let nested = try infer(model, #"{"inputs": [{"name": "X", "shape": [2, 2], "datatype": "FP64", "data": [[1, 2], [3, 4]]}], "outputs": [{"name": "label"}]}"#)
        #expect(floats(nested.feeds.tensors["X"]) == [1, 2, 3, 4])
        #expect(nested.requestedOutputs == ["label"])
    }

    @Test func errorsNameTheInput() {
        let model = singleInputModel(features: 2)
        let cases: [(String, String)] = [
            (#"{"inputs": [{"name": "X", "shape": [2, 2], "datatype": "BYTES", "data": ["a", "b", "c", "d"]}]}"#, "input 'X' is FP32; the request sent BYTES"),
            (#"{"inputs": [{"name": "X", "shape": [2, 2], "datatype": "FP32", "data": [1, 2, 3]}]}"#, "input 'X': shape [2, 2] needs 4 values, data has 3"),
            (#"{"inputs": [{"name": "X", "shape": [1, 3], "datatype": "FP32", "data": [1, 2, 3]}]}"#, "model input 'X' takes shape [N, 2], the request has [1, 3]"),
            (#"{"inputs": [{"name": "X", "shape": [1, 2], "datatype": "FP8", "data": [1, 2]}]}"#, "datatype 'FP8' is not one of"),
            (#"{"inputs": [{"name": "X", "shape": [1, 2], "datatype": "FP32"}]}"#, "input 'X' has no data"),
            (#"{"inputs": [{"name": "X", "shape": [1, 2], "datatype": "FP32", "data": [1, "x"]}]}"#, "input 'X', row 0, value 1: 'x' is not a number"),
            (#"{"inputs": [{"name": "X", "shape": [1, 2], "datatype": "FP32", "data": [1, 2]}], "outputs": [{"name": "nope"}]}"#, "output 'nope' is not an output of this model"),
            (#"{"inputs": []}"#, "inputs must be a non-empty list"),
        ]
        for (body, expected) in cases {
            let error = codecError { _ = try infer(model, body) }
            #expect(error?.message.contains(expected) == true, "\(body): \(error?.message ?? "no error")")
            #expect(error?.httpStatus == 400)
        }
    }

    @Test func perColumnInputsMapThroughTheSignature() throws {
        let model = singleInputModel(features: 2, signature: ["a", "b"])
        let request = try infer(model, #"{"inputs": [{"name": "b", "shape": [2], "datatype": "FP64", "data": [2, 4]}, {"name": "a", "shape": [2], "datatype": "INT64", "data": [1, 3]}]}"#)
        #expect(floats(request.feeds.tensors["X"]) == [1, 2, 3, 4])
        let unknown = codecError { _ = try infer(model, #"{"inputs": [{"name": "c", "shape": [1], "datatype": "FP64", "data": [2]}]}"#) }
        #expect(unknown?.message.contains("column 'c' is not an input") == true, "\(unknown?.message ?? "")")
    }

    @Test func responseAndMetadata() throws {
        let outputs: [(name: String, value: Value)] = [
            ("label", .tensor(Tensor(unchecked: [2], .int64([0, 1])))),
            ("output_probability", .mapSequence(MapSequence(keys: .int64([0, 1]), values: [0.25, 0.75, 0.5, 0.5], rows: 2))),
        ]
        let bytes = InferenceProtocolCodec.renderInfer(outputs: outputs, modelName: "churn", modelVersion: "3", id: "r1")
        let response = try JSONParser.parse(bytes)
        #expect(response["model_name"] == .string("churn"))
        #expect(response["id"] == .string("r1"))
        guard case .array(let rendered)? = response["outputs"], rendered.count == 2 else { Issue.record("outputs"); return }
        #expect(rendered[0] == .object([("name", .string("label")), ("shape", .array([.int(2)])), ("datatype", .string("INT64")), ("data", .array([.int(0), .int(1)]))]))
        #expect(rendered[1]["datatype"] == .string("BYTES"))
        #expect(rendered[1]["data"] == .array([.string(#"{"0":0.25,"1":0.75}"#), .string(#"{"0":0.5,"1":0.5}"#)]))
        let only = try JSONParser.parse(InferenceProtocolCodec.renderInfer(outputs: outputs, modelName: "m", modelVersion: nil, id: nil, requestedOutputs: ["output_probability"]))
        if case .array(let chosen)? = only["outputs"] { #expect(chosen.count == 1 && chosen[0]["name"] == .string("output_probability")) }
        #expect(only["model_version"] == nil)

        let metadata = try JSONParser.parse(InferenceProtocolCodec.metadata(model: singleInputModel(features: 4), name: "iris", versions: ["1", "2"]))
        #expect(metadata["platform"] == .string("onnx_onnxv1"))
        #expect(metadata["versions"] == .array([.string("1"), .string("2")]))
        #expect(metadata["inputs"] == .array([.object([("name", .string("X")), ("datatype", .string("FP32")), ("shape", .array([.int(-1), .int(4)]))])]))
    }
}
