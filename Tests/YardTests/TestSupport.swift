import Foundation
@testable import YardSQLite
@testable import YardStore

/// A fresh folder per test, removed when the value goes away.
final class TemporaryDirectory: @unchecked Sendable {
    let path: String

    init() {
        path = NSTemporaryDirectory() + "yard-test-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

    func file(_ name: String) -> String { path + "/" + name }
}

func makeStore(_ directory: TemporaryDirectory) throws -> SQLiteStore {
    let store = try SQLiteStore(path: directory.file("yard.db"))
    try store.ensureDefaultExperiment(artifactLocation: "mlflow-artifacts:/0")
    return store
}
