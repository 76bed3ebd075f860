import Foundation
import Yams

/// A model ready to serve: the evaluator plus what its package says about it (signature, flavor). The
/// request codecs turn payloads into feeds through it (`feeds(for:)`), so column order and types follow
/// the signature when the package has one.
public struct ServableModel: Sendable {
    public let model: any InferenceModel
    public let signature: ModelSignature?
    /// One line for logs and the metadata endpoint, e.g. "onnx flavor (mlflow 3.18.0, onnx 1.23.2)".
    public let flavorDescription: String
    /// The directory or file the model was loaded from.
    public let sourcePath: String

    public init(model: any InferenceModel, signature: ModelSignature? = nil, flavorDescription: String = "onnx", sourcePath: String = "") {
        self.model = model
        self.signature = signature
        self.flavorDescription = flavorDescription
        self.sourcePath = sourcePath
    }

    /// Loads an MLflow model directory (its `MLmodel` file must have an `onnx` flavor) or a bare `.onnx`
    /// file. Blocking file IO: call it off the event loop.
    public static func load(path: String) throws(ModelPackageError) -> ServableModel {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ModelPackageError(.notFound, "No model at '\(path)': expected an MLflow model directory (with an MLmodel file) or an .onnx file.")
        }
        if !isDirectory.boolValue {
            let bytes = try ModelFiles.read(path, what: "ONNX file")
            let model = try compile(bytes, directory: (path as NSString).deletingLastPathComponent, file: path)
            return ServableModel(model: model, signature: nil, flavorDescription: "onnx file", sourcePath: path)
        }
        let manifestPath = (path as NSString).appendingPathComponent("MLmodel")
        guard FileManager.default.fileExists(atPath: manifestPath) else {
            throw ModelPackageError(.notFound, "'\(path)' is a directory without an MLmodel file; pass an MLflow model directory (as written by mlflow.onnx.save_model) or the .onnx file itself.")
        }
        let manifest = try MLmodelManifest.parse(try ModelFiles.read(manifestPath, what: "MLmodel file"), path: manifestPath)
        let modelFile = try ModelFiles.resolveInside(directory: path, relative: manifest.onnxDataPath, what: "model file named by MLmodel's onnx flavor")
        let bytes = try ModelFiles.read(modelFile, what: "ONNX file named by the onnx flavor")
        let model = try compile(bytes, directory: path, file: modelFile)
        var description = "onnx flavor"
        let versions = [manifest.mlflowVersion.map { "mlflow \($0)" }, manifest.onnxVersion.map { "onnx \($0)" }].compactMap { $0 }
        if !versions.isEmpty { description += " (" + versions.joined(separator: ", ") + ")" }
        return ServableModel(model: model, signature: manifest.signature, flavorDescription: description, sourcePath: path)
    }

    private static func compile(_ bytes: [UInt8], directory: String, file: String) throws(ModelPackageError) -> ONNXModel {
        let inlined = try ExternalTensorData.inline(bytes, directory: directory, file: file)
        do {
            return try ONNXModel(bytes: inlined)
        } catch {
            let kind: ModelPackageError.Kind = error.kind == .unsupported ? .unsupportedModel : .invalidModel
            throw ModelPackageError(kind, "Cannot load '\(file)': \(error.message)")
        }
    }
}

/// File helpers for packages: reads, and relative paths that must stay inside the package directory.
enum ModelFiles {
    static func read(_ path: String, what: String) throws(ModelPackageError) -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ModelPackageError(.notFound, "Cannot read the \(what) '\(path)'; check that it exists and is readable.")
        }
        return [UInt8](data)
    }

    /// `relative` joined to `directory`, refused when it is absolute, climbs with `..`, or resolves
    /// (through symlinks) to somewhere outside the directory.
    static func resolveInside(directory: String, relative: String, what: String = "model file") throws(ModelPackageError) -> String {
        let components = relative.split(separator: "/", omittingEmptySubsequences: true)
        guard !relative.hasPrefix("/"), !relative.isEmpty, !components.contains("..") else {
            throw ModelPackageError(.invalidPackage, "The \(what) '\(relative)' must be a path inside the model directory, without '..'.")
        }
        let joined = (directory as NSString).appendingPathComponent(relative)
        let root = URL(fileURLWithPath: directory).resolvingSymlinksInPath().standardizedFileURL.path
        let target = URL(fileURLWithPath: joined).resolvingSymlinksInPath().standardizedFileURL.path
        guard target.hasPrefix(root.hasSuffix("/") ? root : root + "/") else {
            throw ModelPackageError(.invalidPackage, "The \(what) '\(relative)' resolves to '\(target)', outside the model directory '\(root)'; packages may not point elsewhere.")
        }
        return joined
    }
}

/// What this server reads from an `MLmodel` file.
struct MLmodelManifest {
    var onnxDataPath: String
    var signature: ModelSignature?
    var mlflowVersion: String?
    var onnxVersion: String?

    static let logHint = "log it with `mlflow.onnx.log_model(skl2onnx.to_onnx(model, X[:1]), name=\"model\", signature=...)` (or save it with mlflow.onnx.save_model)"

    static func parse(_ bytes: [UInt8], path: String) throws(ModelPackageError) -> MLmodelManifest {
        let document: Any?
        do {
            document = try Yams.load(yaml: String(decoding: bytes, as: UTF8.self))
        } catch {
            throw ModelPackageError(.invalidPackage, "'\(path)' is not valid YAML: \(error)")
        }
        guard let root = document as? [String: Any] else {
            throw ModelPackageError(.invalidPackage, "'\(path)' must be a YAML mapping with a 'flavors' key.")
        }
        guard let flavors = root["flavors"] as? [String: Any], !flavors.isEmpty else {
            throw ModelPackageError(.noONNXFlavor, "'\(path)' lists no flavors; \(logHint).")
        }
        guard let onnx = flavors["onnx"] else {
            let names = flavors.keys.sorted().joined(separator: ", ")
            throw ModelPackageError(.noONNXFlavor, "The model has flavors \(names) but no onnx flavor, and this server evaluates ONNX only; convert it and \(logHint).")
        }
        let onnxSettings = onnx as? [String: Any] ?? [:]
        var dataPath = "model.onnx"
        if let data = onnxSettings["data"] {
            guard let text = data as? String else {
                throw ModelPackageError(.invalidPackage, "'\(path)': flavors.onnx.data must be a file name, e.g. model.onnx.")
            }
            dataPath = text
        }
        var signature: ModelSignature?
        if let section = root["signature"] as? [String: Any] {
            let inputs = try (section["inputs"] as? String).map { text throws(ModelPackageError) in try ModelSignature.parseSchema(text, part: "inputs") } ?? []
            let outputs = try (section["outputs"] as? String).map { text throws(ModelPackageError) in try ModelSignature.parseSchema(text, part: "outputs") } ?? []
            signature = ModelSignature(inputs: inputs, outputs: outputs)
        }
        return MLmodelManifest(onnxDataPath: dataPath, signature: signature,
                               mlflowVersion: root["mlflow_version"].map { "\($0)" },
                               onnxVersion: onnxSettings["onnx_version"].map { "\($0)" })
    }
}
