import Foundation
import NIOCore
import NIOPosix
import YardBlobs
import YardCore
import YardData

/// A model version's artifacts from a store that is not on this machine's disk (an S3 bucket), copied once
/// into a local folder so the model loader can read them as files. The copy is made in a staging folder and
/// renamed into place whole, so a half-finished download is never loaded; its name carries a digest of the
/// artifact location, so a version deleted and registered again elsewhere is downloaded afresh. Each name
/// the store lists is checked before it becomes part of a local path, and each file must arrive with the
/// size the listing gave.
struct ModelArtifactMirror: Sendable {
    let cacheDirectory: String
    /// A model folder with more files than this is refused rather than mirrored without end.
    var maximumFiles = 10_000

    /// The local copy of `path` in `store` (a folder, or a single file), made if it is not there yet.
    func localCopy(of path: String, in store: any ArtifactStore, model: String, version: String, location: String) async throws -> String {
        guard let entry = try await store.entry(at: path) else {
            throw YardError.notFound("Model version \(version) of \(model): no artifacts at '\(location)' in \(store.displayName).")
        }
        let safeModel = model.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "model"
        let key = String(Self.digest(store.displayName + "\n" + path).prefix(16))
        let target = "\(cacheDirectory)/\(safeModel)/\(version)-\(key)"
        let single = entry.isDirectory ? nil : try Self.checkedName((path as NSString).lastPathComponent)
        let result = single.map { target + "/" + $0 } ?? target
        if FileManager.default.fileExists(atPath: target) {
            // The folder's time is when the copy was last used: `removeUnusedCopies` keeps what is in use.
            try? await NIOThreadPool.singleton.runIfActive {
                try FileManager.default.setAttributes([.modificationDate: Date()], ofItemAtPath: target)
            }
            return result
        }

        let staging = target + ".partial-\(UUID().uuidString)"
        try await NIOThreadPool.singleton.runIfActive {
            try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true)
        }
        do {
            if let single {
                try await copyFile(path, size: entry.size, from: store, to: staging + "/" + single)
            } else {
                var copied = 0
                try await copyDirectory(path, from: store, to: staging, copied: &copied)
            }
            try await NIOThreadPool.singleton.runIfActive {
                try FileManager.default.moveItem(atPath: staging, toPath: target)
            }
        } catch {
            try? FileManager.default.removeItem(atPath: staging)
            // Another request (or replica sharing the folder) may have finished the same copy meanwhile.
            if FileManager.default.fileExists(atPath: target) { return result }
            throw error
        }
        return result
    }

    private func copyDirectory(_ path: String, from store: any ArtifactStore, to local: String, copied: inout Int) async throws {
        for child in try await store.list(path) ?? [] {
            let name = try Self.checkedName(child.name)
            let childPath = path.isEmpty ? name : path + "/" + name
            if child.isDirectory {
                let folder = local + "/" + name
                try await NIOThreadPool.singleton.runIfActive { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false) }
                try await copyDirectory(childPath, from: store, to: folder, copied: &copied)
            } else {
                copied += 1
                guard copied <= maximumFiles else {
                    throw YardError.invalid("The model folder '\(path)' holds more than \(maximumFiles) files; serving loads model folders below that.")
                }
                try await copyFile(childPath, size: child.size, from: store, to: local + "/" + name)
            }
        }
    }

    /// Streams one artifact into `destination` (written beside it and renamed), chunk by chunk on NIO's
    /// thread pool.
    private func copyFile(_ path: String, size: Int64?, from store: any ArtifactStore, to destination: String) async throws {
        let download = try await store.read(path)
        let writer = try AtomicFileWriter(destination: destination)
        do {
            for try await chunk in download.chunks {
                try await NIOThreadPool.singleton.runIfActive {
                    try chunk.withUnsafeReadableBytes { bytes in try writer.append(bytes) }
                }
            }
            let expected = size ?? download.size
            guard writer.bytesWritten == expected else {
                throw YardError(.temporarilyUnavailable, "The artifact '\(path)' arrived with \(writer.bytesWritten) of its \(expected) bytes; the model will be fetched again.")
            }
            try await NIOThreadPool.singleton.runIfActive { try writer.commit(durable: false) }
        } catch {
            writer.abort()
            throw error
        }
    }

    /// Removes staging folders (`<model>/<version>-<key>.partial-…`) a killed process left, once older than
    /// `age` seconds (younger ones may be copies in progress). Blocking: call it on NIO's thread pool.
    static func removeAbandonedStaging(under cacheDirectory: String, olderThan age: TimeInterval) -> Int {
        var removed = 0
        for entry in entries(under: cacheDirectory, olderThan: age) where entry.isStaging {
            if (try? FileManager.default.removeItem(atPath: entry.path)) != nil { removed += 1 }
        }
        return removed
    }

    /// Removes finished copies not used for `age` seconds (each use refreshes a copy's time), so versions
    /// retired long ago do not fill the disk; one still deployed is simply copied again when it next loads.
    /// A copy is renamed to a staging name before it is deleted, so a deletion cut short is never taken for
    /// a whole copy (and the staging sweep finishes it). Blocking: call it on NIO's thread pool, at start-up.
    static func removeUnusedCopies(under cacheDirectory: String, olderThan age: TimeInterval) -> Int {
        var removed = 0
        for entry in entries(under: cacheDirectory, olderThan: age) where !entry.isStaging {
            let doomed = entry.path + ".partial-unused-\(UUID().uuidString)"
            guard (try? FileManager.default.moveItem(atPath: entry.path, toPath: doomed)) != nil else { continue }
            try? FileManager.default.removeItem(atPath: doomed)
            removed += 1
        }
        for model in (try? FileManager.default.contentsOfDirectory(atPath: cacheDirectory)) ?? [] {
            _ = rmdir(cacheDirectory + "/" + model)  // only if empty: a copy starting meanwhile keeps its folder
        }
        return removed
    }

    /// The `<model>/<entry>` folders of the cache last modified more than `age` seconds ago.
    private static func entries(under cacheDirectory: String, olderThan age: TimeInterval) -> [(path: String, isStaging: Bool)] {
        let files = FileManager.default
        let cutoff = Date().addingTimeInterval(-age)
        var found: [(path: String, isStaging: Bool)] = []
        for model in (try? files.contentsOfDirectory(atPath: cacheDirectory)) ?? [] {
            let folder = cacheDirectory + "/" + model
            for name in (try? files.contentsOfDirectory(atPath: folder)) ?? [] {
                let path = folder + "/" + name
                guard let modified = (try? files.attributesOfItem(atPath: path))?[.modificationDate] as? Date, modified < cutoff else { continue }
                found.append((path, name.contains(".partial-")))
            }
        }
        return found
    }

    /// A listed name as one local path segment: never empty, `.`, `..`, nor carrying a separator or NUL.
    static func checkedName(_ name: String) throws(YardError) -> String {
        guard !name.isEmpty, name != ".", name != "..", !name.contains("/"), !name.contains("\\"), !name.contains("\u{0}") else {
            throw YardError.invalid("The artifact store listed '\(name)' in a model folder, which cannot be a file name here.")
        }
        return name
    }

    static func digest(_ text: String) -> String {
        ContentDigest.of(Array(text.utf8)).hex
    }
}
