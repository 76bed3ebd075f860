import Foundation
import SwiftProtobuf
import Testing
import YardJSON
@testable import YardServing

/// Real ONNX files converted by skl2onnx, committed as the ONNX fuzz corpus.
private func corpusModel(_ name: String) throws -> Data {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    return try Data(contentsOf: root.appendingPathComponent("fuzz/corpus/onnx/\(name).onnx"))
}

private let columnSignature = """
    signature:
      inputs: '[{"type": "double", "name": "age", "required": true}, {"type": "double",
        "name": "income", "required": true}, {"type": "double", "name": "tenure", "required":
        true}]'
      outputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 1]}}]'
      params: null
    """

private func writePackage(_ directory: TemporaryDirectory, flavors: String, extra: String = "") throws {
    let text = "flavors:\n\(flavors)\nmlflow_version: 3.18.0\n\(extra)\n"
    try text.write(toFile: directory.file("MLmodel"), atomically: true, encoding: .utf8)
}

private let onnxFlavor = """
      onnx:
        code: null
        data: model.onnx
        onnx_version: 1.23.2
      python_function:
        data: model.onnx
        loader_module: mlflow.onnx
    """

private func loadError(_ path: String) -> ModelPackageError? {
    do {
        _ = try ServableModel.load(path: path)
        return nil
    } catch {
        return error
    }
}

@Suite("Model packages")
struct ModelPackageTests {
    @Test func missingPathsAndFoldersWithoutMLmodel() throws {
        let directory = TemporaryDirectory()
        let missing = loadError(directory.file("nothing"))
        #expect(missing?.kind == .notFound)
        #expect(missing?.message.contains("No model at") == true)
        let empty = loadError(directory.path)
        #expect(empty?.kind == .notFound)
        #expect(empty?.message.contains("without an MLmodel file") == true, "\(empty?.message ?? "")")
    }

    @Test func packageWithoutOnnxFlavorNamesItsFlavorsAndTheFix() throws {
        let directory = TemporaryDirectory()
        try writePackage(directory, flavors: """
              python_function:
                loader_module: mlflow.sklearn
                model_path: model.skops
              sklearn:
                pickled_model: model.skops
                sklearn_version: 1.9.1
            """)
        let error = loadError(directory.path)
        #expect(error?.kind == .noONNXFlavor)
        #expect(error?.message.contains("flavors python_function, sklearn but no onnx flavor") == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("mlflow.onnx.log_model(skl2onnx.to_onnx(model, X[:1]), name=\"model\"") == true, "\(error?.message ?? "")")
    }

    @Test func modelFilesMustStayInsideThePackage() throws {
        let outside = TemporaryDirectory()
        try corpusModel("linear_regression").write(to: URL(fileURLWithPath: outside.file("elsewhere.onnx")))
        let directory = TemporaryDirectory()
        for data in ["../elsewhere.onnx", "sub/../../elsewhere.onnx", outside.file("elsewhere.onnx")] {
            try writePackage(directory, flavors: "  onnx:\n    data: \(data)")
            let error = loadError(directory.path)
            #expect(error?.kind == .invalidPackage, "\(data)")
            #expect(error?.message.contains("inside the model directory") == true, "\(error?.message ?? "")")
        }
        try writePackage(directory, flavors: "  onnx:\n    data: model.onnx")
        try FileManager.default.createSymbolicLink(atPath: directory.file("model.onnx"), withDestinationPath: outside.file("elsewhere.onnx"))
        let symlink = loadError(directory.path)
        #expect(symlink?.kind == .invalidPackage)
        #expect(symlink?.message.contains("outside the model directory") == true, "\(symlink?.message ?? "")")
    }

    @Test func malformedManifests() throws {
        let directory = TemporaryDirectory()
        try "flavors: [unclosed\n".write(toFile: directory.file("MLmodel"), atomically: true, encoding: .utf8)
        #expect(loadError(directory.path)?.kind == .invalidPackage)
        try writePackage(directory, flavors: onnxFlavor, extra: "signature:\n  inputs: '[{\"name\": \"a\"}]'\n")
        let badSignature = loadError(directory.path)
        #expect(badSignature?.kind == .invalidPackage)
        #expect(badSignature?.message.contains("signature.inputs[0] has no \"type\"") == true, "\(badSignature?.message ?? "")")
        try writePackage(directory, flavors: onnxFlavor)
        let noFile = loadError(directory.path)
        #expect(noFile?.kind == .notFound)
        #expect(noFile?.message.contains("model.onnx") == true)
    }

    @Test func signaturesColumnAndTensorBased() throws {
        let columns = try MLmodelManifest.parse(Array("flavors:\n\(onnxFlavor)\n\(columnSignature)\n".utf8), path: "MLmodel")
        #expect(columns.onnxDataPath == "model.onnx")
        #expect(columns.signature?.inputColumnNames == ["age", "income", "tenure"])
        #expect(columns.signature?.outputs.first?.shape == [-1, 1])
        let tensors = try MLmodelManifest.parse(Array("""
            flavors:
              onnx:
                data: weights/m.onnx
            signature:
              inputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 4]}, "name": "X"}]'
            """.utf8), path: "MLmodel")
        #expect(tensors.onnxDataPath == "weights/m.onnx")
        #expect(tensors.signature?.inputs == [ModelSignature.Field(name: "X", type: "tensor", dtype: "float32", shape: [-1, 4])])
        #expect(tensors.signature?.inputColumnNames == nil)
    }

    @Test func packageLoadsAndPredictsInSignatureOrder() throws {
        let bytes = try corpusModel("linear_regression")
        let directory = TemporaryDirectory()
        try bytes.write(to: URL(fileURLWithPath: directory.file("model.onnx")))
        try writePackage(directory, flavors: onnxFlavor, extra: columnSignature)
        let servable = try ServableModel.load(path: directory.path)
        #expect(servable.signature?.inputColumnNames == ["age", "income", "tenure"])
        #expect(servable.flavorDescription == "onnx flavor (mlflow 3.18.0, onnx 1.23.2)")
        #expect(servable.model.inputs.map(\.name) == ["X"])

        // The expected values come from the LinearRegressor's own coefficients in the file.
        let proto = try Onnx_ModelProto(serializedBytes: [UInt8](bytes))
        let node = try #require(proto.graph.node.first { $0.opType == "LinearRegressor" })
        let coefficients = try #require(node.attribute.first { $0.name == "coefficients" }).floats
        let intercept = node.attribute.first { $0.name == "intercepts" }?.floats.first ?? 0
        let request = #"{"dataframe_records": [{"tenure": 3, "age": 1, "income": 2}, {"income": -1, "tenure": 0.5, "age": 4}]}"#
        let input = try ScoringCodec.parse(body: Array(request.utf8), contentType: "application/json")
        let feeds = try servable.feeds(for: input)
        let outputs = try servable.model.predict(feeds.tensors)
        guard case .tensor(let tensor)? = outputs.first?.value, case .float(let values) = tensor.elements else {
            Issue.record("expected a float tensor, got \(outputs)")
            return
        }
        let rows: [[Float]] = [[1, 2, 3], [4, -1, 0.5]]
        for (row, features) in rows.enumerated() {
            let expected = zip(coefficients, features).map { $0 * $1 }.reduce(intercept, +)
            #expect(abs(values[row] - expected) <= 1e-5 * max(1, abs(expected)), "row \(row): \(values[row]) vs \(expected)")
        }
        let response = try JSONParser.parse(ScoringCodec.render(outputs: outputs, for: input))
        guard case .array(let predictions)? = response["predictions"] else { Issue.record("predictions"); return }
        #expect(predictions.count == 2)
    }

    @Test func bareOnnxFileLoadsWithoutSignature() throws {
        let directory = TemporaryDirectory()
        try corpusModel("logistic_binary_zipmap").write(to: URL(fileURLWithPath: directory.file("m.onnx")))
        let servable = try ServableModel.load(path: directory.file("m.onnx"))
        #expect(servable.signature == nil)
        #expect(servable.model.outputs.map(\.name) == ["output_label", "output_probability"])
    }

    @Test func externalTensorDataIsReadFromInsideThePackage() throws {
        let original = try corpusModel("mlp")
        var proto = try Onnx_ModelProto(serializedBytes: [UInt8](original))
        // Move every initializer's floats into one side file, as onnx.save_model(save_as_external_data=True) does.
        var side = Data()
        var moved = 0
        for index in proto.graph.initializer.indices where !proto.graph.initializer[index].floatData.isEmpty {
            moved += 1
            let floats = proto.graph.initializer[index].floatData
            let raw = floats.withUnsafeBufferPointer { Data(buffer: $0) }
            func entry(_ key: String, _ value: String) -> Onnx_StringStringEntryProto {
                var item = Onnx_StringStringEntryProto()
                item.key = key
                item.value = value
                return item
            }
            proto.graph.initializer[index].floatData = []
            proto.graph.initializer[index].dataLocation = .external
            proto.graph.initializer[index].externalData = [entry("location", "weights.bin"), entry("offset", String(side.count)), entry("length", String(raw.count))]
            side.append(raw)
        }
        #expect(moved >= 2)
        let directory = TemporaryDirectory()
        try Data(try proto.serializedBytes() as [UInt8]).write(to: URL(fileURLWithPath: directory.file("model.onnx")))
        try side.write(to: URL(fileURLWithPath: directory.file("weights.bin")))
        try writePackage(directory, flavors: onnxFlavor)

        let external = try ServableModel.load(path: directory.path)
        let plainDirectory = TemporaryDirectory()
        try original.write(to: URL(fileURLWithPath: plainDirectory.file("m.onnx")))
        let plain = try ServableModel.load(path: plainDirectory.file("m.onnx"))
        let input = try ScoringCodec.parse(body: Array(#"{"inputs": [[0.5, -1, 2], [3, 0, -0.25]]}"#.utf8), contentType: "application/json")
        let a = try external.model.predict(try external.feeds(for: input).tensors)
        let b = try plain.model.predict(try plain.feeds(for: input).tensors)
        #expect(String(decoding: ScoringCodec.render(outputs: a, for: input), as: UTF8.self)
                == String(decoding: ScoringCodec.render(outputs: b, for: input), as: UTF8.self))

        // A side file named outside the package is refused.
        let first = try #require(proto.graph.initializer.firstIndex { $0.dataLocation == .external })
        proto.graph.initializer[first].externalData[0].value = "../weights.bin"
        try Data(try proto.serializedBytes() as [UInt8]).write(to: URL(fileURLWithPath: directory.file("model.onnx")))
        let escape = loadError(directory.path)
        #expect(escape?.kind == .invalidPackage)
        #expect(escape?.message.contains("without '..'") == true, "\(escape?.message ?? "")")
    }
}
