import Foundation
import GRDB
import YardStore
import YardCore

/// The embedded metadata store: one SQLite file in WAL mode (one writer, concurrent readers).
///
/// Durability: `synchronous=NORMAL` in WAL mode means a committed transaction is in the WAL file before
/// the request is answered, so it survives `kill -9` of the server; only a power loss could drop the
/// last commits, which is the trade-off every embedded WAL deployment makes.
public final class SQLiteStore: Sendable {
    let pool: DatabasePool
    public let path: String

    public init(path: String) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            // Reads come from the page cache through mmap instead of a pread copy per page, and each
            // connection keeps a larger cache of hot pages (search and history read many).
            try db.execute(sql: "PRAGMA mmap_size = 268435456")
            try db.execute(sql: "PRAGMA cache_size = -32768")
            // MLflow's LIKE is case-sensitive on every backend; ILIKE is mapped to lower() LIKE lower().
            try db.execute(sql: "PRAGMA case_sensitive_like = ON")
            try db.execute(sql: "PRAGMA foreign_keys = ON")
        }
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        self.path = path
        self.pool = try DatabasePool(path: path, configuration: configuration)
        try Self.migrator.migrate(pool)
    }

    /// Versioned migrations: each runs once, in order, inside a transaction; never edit a shipped one.
    /// Each domain registers its own in its own file, so their tables evolve independently.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        registerTrackingMigrations(&migrator)
        registerRegistryMigrations(&migrator)
        registerDataMigrations(&migrator)
        registerServingMigrations(&migrator)
        registerMonitoringMigrations(&migrator)
        registerOverviewMigrations(&migrator)
        return migrator
    }

    static func registerTrackingMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v1-tracking") { db in
            try db.execute(sql: """
                CREATE TABLE experiments (
                    experiment_id INTEGER PRIMARY KEY,
                    name TEXT NOT NULL UNIQUE,
                    artifact_location TEXT NOT NULL,
                    lifecycle_stage TEXT NOT NULL,
                    creation_time INTEGER NOT NULL,
                    last_update_time INTEGER NOT NULL
                );
                CREATE TABLE experiment_tags (
                    experiment_id INTEGER NOT NULL REFERENCES experiments(experiment_id) ON DELETE CASCADE,
                    key TEXT NOT NULL,
                    value TEXT NOT NULL,
                    PRIMARY KEY (experiment_id, key)
                ) WITHOUT ROWID;
                CREATE TABLE runs (
                    run_uuid TEXT PRIMARY KEY,
                    experiment_id INTEGER NOT NULL REFERENCES experiments(experiment_id),
                    name TEXT NOT NULL,
                    user_id TEXT NOT NULL,
                    status TEXT NOT NULL,
                    start_time INTEGER,
                    end_time INTEGER,
                    artifact_uri TEXT NOT NULL,
                    lifecycle_stage TEXT NOT NULL
                ) WITHOUT ROWID;
                CREATE INDEX runs_by_experiment ON runs(experiment_id, lifecycle_stage, start_time DESC, run_uuid);
                CREATE TABLE params (
                    run_uuid TEXT NOT NULL REFERENCES runs(run_uuid) ON DELETE CASCADE,
                    key TEXT NOT NULL,
                    value TEXT NOT NULL,
                    PRIMARY KEY (run_uuid, key)
                ) WITHOUT ROWID;
                CREATE INDEX params_by_key ON params(key, value);
                CREATE TABLE tags (
                    run_uuid TEXT NOT NULL REFERENCES runs(run_uuid) ON DELETE CASCADE,
                    key TEXT NOT NULL,
                    value TEXT NOT NULL,
                    PRIMARY KEY (run_uuid, key)
                ) WITHOUT ROWID;
                CREATE TABLE metrics (
                    run_uuid TEXT NOT NULL REFERENCES runs(run_uuid) ON DELETE CASCADE,
                    key TEXT NOT NULL,
                    timestamp INTEGER NOT NULL,
                    step INTEGER NOT NULL,
                    value REAL NOT NULL,
                    is_nan INTEGER NOT NULL,
                    model_id TEXT,
                    dataset_name TEXT,
                    dataset_digest TEXT,
                    PRIMARY KEY (run_uuid, key, timestamp, step, value, is_nan)
                ) WITHOUT ROWID;
                CREATE TABLE latest_metrics (
                    run_uuid TEXT NOT NULL REFERENCES runs(run_uuid) ON DELETE CASCADE,
                    key TEXT NOT NULL,
                    timestamp INTEGER NOT NULL,
                    step INTEGER NOT NULL,
                    value REAL NOT NULL,
                    is_nan INTEGER NOT NULL,
                    model_id TEXT,
                    dataset_name TEXT,
                    dataset_digest TEXT,
                    PRIMARY KEY (run_uuid, key)
                ) WITHOUT ROWID;
                CREATE INDEX latest_metrics_by_key ON latest_metrics(key, value);
                CREATE TABLE datasets (
                    dataset_uuid TEXT PRIMARY KEY,
                    experiment_id INTEGER NOT NULL REFERENCES experiments(experiment_id),
                    name TEXT NOT NULL,
                    digest TEXT NOT NULL,
                    source_type TEXT NOT NULL,
                    source TEXT NOT NULL,
                    schema TEXT,
                    profile TEXT,
                    UNIQUE (experiment_id, name, digest)
                ) WITHOUT ROWID;
                CREATE TABLE run_dataset_inputs (
                    run_uuid TEXT NOT NULL REFERENCES runs(run_uuid) ON DELETE CASCADE,
                    dataset_uuid TEXT NOT NULL REFERENCES datasets(dataset_uuid),
                    position INTEGER NOT NULL,
                    PRIMARY KEY (run_uuid, dataset_uuid)
                ) WITHOUT ROWID;
                CREATE TABLE run_dataset_input_tags (
                    run_uuid TEXT NOT NULL,
                    dataset_uuid TEXT NOT NULL,
                    key TEXT NOT NULL,
                    value TEXT NOT NULL,
                    PRIMARY KEY (run_uuid, dataset_uuid, key),
                    FOREIGN KEY (run_uuid, dataset_uuid) REFERENCES run_dataset_inputs(run_uuid, dataset_uuid) ON DELETE CASCADE
                ) WITHOUT ROWID;
                CREATE TABLE run_model_inputs (
                    run_uuid TEXT NOT NULL REFERENCES runs(run_uuid) ON DELETE CASCADE,
                    model_id TEXT NOT NULL,
                    PRIMARY KEY (run_uuid, model_id)
                ) WITHOUT ROWID;
                CREATE TABLE run_model_outputs (
                    run_uuid TEXT NOT NULL REFERENCES runs(run_uuid) ON DELETE CASCADE,
                    model_id TEXT NOT NULL,
                    step INTEGER NOT NULL,
                    PRIMARY KEY (run_uuid, model_id, step)
                ) WITHOUT ROWID;
                """)
        }
    }

    /// The default experiment "0" exists in every fresh store, as in MLflow.
    public func ensureDefaultExperiment(artifactLocation: String) throws {
        try pool.write { db in
            let now = Identifiers.nowMillis()
            try db.execute(
                sql: """
                    INSERT OR IGNORE INTO experiments
                    (experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time)
                    VALUES (0, 'Default', ?, 'active', ?, ?)
                    """,
                arguments: [artifactLocation, now, now])
        }
    }

    /// One write transaction on the single writer connection; it commits when `body` returns and rolls
    /// back when it throws, so a refused request (a changed param, a deleted run) changes nothing.
    func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await pool.write(body)
    }

    func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await pool.read(body)
    }
}
