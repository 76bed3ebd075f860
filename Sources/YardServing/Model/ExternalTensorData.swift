import Foundation
import SwiftProtobuf

/// ONNX files may keep large initializers in side files (`mlflow.onnx.save_model` does so by default,
/// for tensors above 1 KB). The evaluator takes one byte buffer, so the loader copies those tensors back
/// into the model first, reading each side file only from inside the model's directory.
enum ExternalTensorData {
    static func inline(_ bytes: [UInt8], directory: String, file: String) throws(ModelPackageError) -> [UInt8] {
        // Malformed bytes are the evaluator's to report, with its own message.
        guard var model = try? Onnx_ModelProto(serializedBytes: bytes) else { return bytes }
        guard model.graph.initializer.contains(where: { $0.dataLocation == .external }) else { return bytes }
        // Converters usually put every tensor in one side file: read each file once.
        var sideFiles: [String: [UInt8]] = [:]
        for index in model.graph.initializer.indices where model.graph.initializer[index].dataLocation == .external {
            let tensor = model.graph.initializer[index]
            let entries = Dictionary(tensor.externalData.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
            guard let location = entries["location"] else {
                throw ModelPackageError(.invalidModel, "'\(file)': initializer '\(tensor.name)' is stored externally but names no location.")
            }
            let sidePath = try ModelFiles.resolveInside(directory: directory, relative: location, what: "external data file of initializer '\(tensor.name)'")
            let sideBytes: [UInt8]
            if let cached = sideFiles[sidePath] {
                sideBytes = cached
            } else {
                sideBytes = try ModelFiles.read(sidePath, what: "external data file of initializer '\(tensor.name)'")
                sideFiles[sidePath] = sideBytes
            }
            let offset = entries["offset"].flatMap(Int.init) ?? 0
            let length = entries["length"].flatMap(Int.init) ?? (sideBytes.count - offset)
            guard offset >= 0, length >= 0, offset <= sideBytes.count, length <= sideBytes.count - offset else {
                throw ModelPackageError(.invalidModel, "'\(file)': initializer '\(tensor.name)' claims bytes \(offset)..<\(offset + length) of '\(location)', which has \(sideBytes.count).")
            }
            model.graph.initializer[index].rawData = Data(sideBytes[offset..<(offset + length)])
            model.graph.initializer[index].externalData = []
            model.graph.initializer[index].dataLocation = .default
        }
        do {
            return try model.serializedBytes()
        } catch {
            throw ModelPackageError(.invalidModel, "'\(file)': could not rebuild the model with its external tensors inlined (\(error)).")
        }
    }
}
