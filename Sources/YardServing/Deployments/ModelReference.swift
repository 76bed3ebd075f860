import Foundation
import YardCore

/// What a deployment's model URI names: a registered model by alias or by version number, or a model
/// package on the local disk (a folder with an MLmodel file, or a bare `.onnx` file).
public enum ModelReference: Sendable, Equatable, CustomStringConvertible {
    case alias(model: String, alias: String)
    case version(model: String, version: Int64)
    case path(String)

    /// Parses `models:/name@alias`, `models:/name/3`, `file:///abs/path` or a plain path. `field` names
    /// the request field in error messages.
    public init(parsing uri: String, field: String = "model_uri") throws(YardError) {
        let trimmed = uri.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { throw YardError.missingParameter(field) }
        if trimmed.contains("\0") { throw .invalid("'\(field)' must not contain NUL.") }
        if trimmed.lowercased().hasPrefix("models:") {
            var rest = Substring(trimmed.dropFirst("models:".count))
            while rest.hasPrefix("/") { rest = rest.dropFirst() }
            let usage = "Use models:/<name>@<alias> (e.g. models:/churn@prod) or models:/<name>/<version> (e.g. models:/churn/3)."
            if let at = rest.lastIndex(of: "@") {
                let name = String(rest[..<at]), alias = String(rest[rest.index(after: at)...])
                guard Self.isPlainName(name), Self.isPlainName(alias) else {
                    throw .invalid("Invalid '\(field)' '\(uri)': \(usage)")
                }
                self = .alias(model: name, alias: alias)
                return
            }
            let parts = rest.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 2, Self.isPlainName(String(parts[0])) else {
                throw .invalid("Invalid '\(field)' '\(uri)': \(usage)")
            }
            guard let number = Int64(parts[1]), number > 0 else {
                throw .invalid("Invalid '\(field)' '\(uri)': the version must be a positive whole number. \(usage)")
            }
            self = .version(model: String(parts[0]), version: number)
            return
        }
        if trimmed.lowercased().hasPrefix("file:") {
            guard let url = URL(string: trimmed), url.isFileURL, !url.path.isEmpty else {
                throw .invalid("Invalid '\(field)' '\(uri)': a file URI must look like file:///absolute/path.")
            }
            self = .path(url.standardizedFileURL.path)
            return
        }
        if trimmed.range(of: "^[a-zA-Z][a-zA-Z0-9+.-]*://", options: .regularExpression) != nil {
            throw .invalid("Unsupported '\(field)' '\(uri)': use models:/<name>@<alias>, models:/<name>/<version>, or a local path.")
        }
        self = .path(URL(fileURLWithPath: trimmed).standardizedFileURL.path)
    }

    /// The registered model this reference names, nil for a path.
    public var modelName: String? {
        switch self {
        case .alias(let model, _), .version(let model, _): return model
        case .path: return nil
        }
    }

    public var description: String {
        switch self {
        case .alias(let model, let alias): return "models:/\(model)@\(alias)"
        case .version(let model, let version): return "models:/\(model)/\(version)"
        case .path(let path): return path
        }
    }

    private static func isPlainName(_ text: String) -> Bool {
        !text.isEmpty && !text.contains("/") && !text.contains("@") && !text.contains(":")
    }
}

/// A model URI resolved at one moment: which registered model and version it named then, and the local
/// folder or file holding that version's package.
public struct ResolvedModel: Sendable, Equatable {
    /// The registered model name, or the file or folder name for a local path.
    public var name: String
    /// The version number as text; "local" for a local path.
    public var version: String
    public var path: String
    /// What must change for the watcher to load again: the version and path, plus for a local path the
    /// file's modification time and size (so a package rewritten in place is picked up).
    public var identity: String

    public init(name: String, version: String, path: String, identity: String? = nil) {
        self.name = name
        self.version = version
        self.path = path
        self.identity = identity ?? "\(name)/\(version):\(path)"
    }
}

/// Turns a model reference into the version it names now and the local package of that version.
/// Implementations: the server's registry (``ModelReference/alias(model:alias:)`` follows promotions
/// and rollbacks), a remote server with a download cache, or the local disk.
public protocol ModelSource: Sendable {
    func resolve(_ reference: ModelReference) async throws -> ResolvedModel
}

/// Serves local paths only; a `models:/` reference is refused with what to do instead.
public struct LocalPathModelSource: ModelSource {
    public init() {}

    public func resolve(_ reference: ModelReference) async throws -> ResolvedModel {
        guard case .path(let path) = reference else {
            throw YardError.invalid("'\(reference)' names a registered model, but no registry is configured here; pass a local model folder or .onnx file, or point at a registry (--data-dir or --tracking-uri).")
        }
        let attributes: [FileAttributeKey: Any]
        do {
            attributes = try FileManager.default.attributesOfItem(atPath: path)
        } catch {
            throw YardError.notFound("No model at '\(path)': the path does not exist.")
        }
        let modified = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
        let size = (attributes[.size] as? NSNumber)?.int64Value ?? 0
        let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        // A folder's own mtime changes when its entries are replaced, which is how packages are rewritten.
        return ResolvedModel(name: name, version: "local", path: path, identity: "\(path):\(Int64(modified * 1000)):\(size)")
    }
}
