import Foundation
import YardCore
import YardData

/// The metrics files of a pipeline compared between the work tree and a git revision (`yard metrics diff`).
public struct MetricsComparison: Sendable {
    public struct Row: Sendable, Equatable {
        public var file: String
        public var key: String
        public var old: Double?
        public var new: Double?
        public var change: Double? { old.flatMap { old in new.map { $0 - old } } }

        public init(file: String, key: String, old: Double?, new: Double?) {
            self.file = file
            self.key = key
            self.old = old
            self.new = new
        }
    }

    public var revision: String
    public var rows: [Row]

    /// Compares every metrics file the stages declare (or `files`) in the work tree with `revision`.
    public static func compare(spec: PipelineSpec, repositoryRoot: String, revision: String = "HEAD",
                               files explicit: [String] = [], includeUnchanged: Bool = false) throws(YardError) -> MetricsComparison {
        guard (try? Git.run(["rev-parse", "--verify", "-q", revision + "^{commit}"], in: repositoryRoot)) != nil else {
            throw .notFound("'\(revision)' is not a commit of the git repository at \(repositoryRoot); name a branch, tag or commit.")
        }
        var files = explicit
        if files.isEmpty {
            for stage in spec.stages { for file in stage.metricsFiles where !files.contains(file) { files.append(file) } }
        }
        if files.isEmpty { throw .notFound("No stage in \(spec.file) declares `metrics:` files, and none were named.") }
        var rows: [Row] = []
        for file in files {
            let now = (try? MetricsFile.read(file, repositoryRoot: repositoryRoot)) ?? []
            var before: [(String, Double)] = []
            if let bytes = try? Git.run(["show", "\(revision):\(file)"], in: repositoryRoot) {
                before = (try? MetricsFile.parse(bytes, source: "\(revision):\(file)")) ?? []
            }
            let old = Dictionary(before, uniquingKeysWith: { _, last in last })
            let new = Dictionary(now, uniquingKeysWith: { _, last in last })
            var keys = now.map(\.0)
            for (key, _) in before where !keys.contains(key) { keys.append(key) }
            for key in keys {
                let row = Row(file: file, key: key, old: old[key], new: new[key])
                if includeUnchanged || row.old != row.new { rows.append(row) }
            }
        }
        return MetricsComparison(revision: revision, rows: rows)
    }
}
