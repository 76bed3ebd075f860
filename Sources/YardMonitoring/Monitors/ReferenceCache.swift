import Foundation
import YardCore
import YardJSON
import YardStore

/// Reference datasets loaded once per (version, column mapping): kept in memory and as a profile in the
/// store, so a restarted server does not read the file again.
final class ReferenceCache: Sendable {
    private let tables = Locked<[String: LoadedTable]>([:])
    /// Profiles kept in memory; the store keeps all of them.
    private let capacity = 16

    static func key(_ reference: MonitorSpec.Reference, mapping: ColumnMapping) -> String {
        let mappingText = JSONWriter.bytes(mapping.json)
        // FNV-1a: a stable hash across processes (Swift's Hasher is seeded per process).
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in mappingText {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return "\(reference.dataset)@\(reference.digest)#\(String(repeating: "0", count: 16 - hex.count) + hex)"
    }

    func table(for reference: MonitorSpec.Reference, mapping: ColumnMapping, resolver: any ReferenceResolver,
               store: any MonitoringStore) async throws -> LoadedTable {
        let key = Self.key(reference, mapping: mapping)
        if let cached = tables.withLock({ $0[key] }) { return cached }
        if let bytes = try await store.referenceProfile(key: key), let decoded = try? ReferenceProfileCodec.decode(bytes) {
            remember(decoded, key: key)
            return decoded
        }
        let path = try await resolver.referencePath(dataset: reference.dataset, digest: reference.digest)
        let label = "dataset:\(reference.dataset)@\(reference.digest)"
        let table: LoadedTable
        do {
            table = try await LoadedTable.load(from: try await Self.open(path: path, label: label), label: label)
        } catch let error as DriftError {
            throw YardError.invalid("The reference \(label) could not be read: \(error.message)")
        }
        try await store.storeReferenceProfile(key: key, bytes: ReferenceProfileCodec.encode(table))
        remember(table, key: key)
        return table
    }

    /// Reading the whole file blocks; it runs on a thread of its own, not on the cooperative pool.
    static func open(path: String, label: String) async throws -> any ColumnSource {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result { try openTable(path: path, label: label) })
            }
        }
    }

    private func remember(_ table: LoadedTable, key: String) {
        tables.withLock { tables in
            if tables.count >= capacity, let evicted = tables.keys.first { tables[evicted] = nil }
            tables[key] = table
        }
    }
}
