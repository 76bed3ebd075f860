import Foundation
import GRDB
import YardCore
import YardStore

extension SQLiteStore {
    static func registerRegistryMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v1-registry") { db in
            try db.execute(sql: """
                CREATE TABLE logged_models (
                    model_id TEXT PRIMARY KEY,
                    experiment_id INTEGER NOT NULL REFERENCES experiments(experiment_id),
                    name TEXT NOT NULL,
                    artifact_location TEXT NOT NULL,
                    creation_timestamp INTEGER NOT NULL,
                    last_updated_timestamp INTEGER NOT NULL,
                    status TEXT NOT NULL,
                    status_message TEXT,
                    lifecycle_stage TEXT NOT NULL,
                    model_type TEXT,
                    source_run_id TEXT
                ) WITHOUT ROWID;
                CREATE INDEX logged_models_by_experiment ON logged_models(experiment_id, creation_timestamp DESC);
                CREATE TABLE logged_model_params (
                    model_id TEXT NOT NULL REFERENCES logged_models(model_id) ON DELETE CASCADE,
                    key TEXT NOT NULL,
                    value TEXT NOT NULL,
                    PRIMARY KEY (model_id, key)
                ) WITHOUT ROWID;
                CREATE TABLE logged_model_tags (
                    model_id TEXT NOT NULL REFERENCES logged_models(model_id) ON DELETE CASCADE,
                    key TEXT NOT NULL,
                    value TEXT NOT NULL,
                    PRIMARY KEY (model_id, key)
                ) WITHOUT ROWID;
                CREATE TABLE logged_model_metrics (
                    model_id TEXT NOT NULL REFERENCES logged_models(model_id) ON DELETE CASCADE,
                    key TEXT NOT NULL,
                    timestamp INTEGER NOT NULL,
                    step INTEGER NOT NULL,
                    value REAL NOT NULL,
                    is_nan INTEGER NOT NULL,
                    run_id TEXT NOT NULL DEFAULT '',
                    dataset_name TEXT,
                    dataset_digest TEXT,
                    PRIMARY KEY (model_id, key, timestamp, step, run_id, value, is_nan)
                ) WITHOUT ROWID;
                CREATE TABLE registered_models (
                    name TEXT PRIMARY KEY,
                    creation_timestamp INTEGER NOT NULL,
                    last_updated_timestamp INTEGER NOT NULL,
                    user_id TEXT,
                    description TEXT NOT NULL DEFAULT ''
                ) WITHOUT ROWID;
                CREATE TABLE registered_model_tags (
                    name TEXT NOT NULL REFERENCES registered_models(name) ON UPDATE CASCADE ON DELETE CASCADE,
                    key TEXT NOT NULL,
                    value TEXT NOT NULL,
                    PRIMARY KEY (name, key)
                ) WITHOUT ROWID;
                CREATE TABLE model_versions (
                    name TEXT NOT NULL REFERENCES registered_models(name) ON UPDATE CASCADE ON DELETE CASCADE,
                    version INTEGER NOT NULL,
                    creation_timestamp INTEGER NOT NULL,
                    last_updated_timestamp INTEGER NOT NULL,
                    user_id TEXT,
                    current_stage TEXT NOT NULL,
                    description TEXT NOT NULL DEFAULT '',
                    source TEXT NOT NULL,
                    run_id TEXT,
                    run_link TEXT,
                    model_id TEXT,
                    PRIMARY KEY (name, version)
                ) WITHOUT ROWID;
                CREATE TABLE model_version_tags (
                    name TEXT NOT NULL,
                    version INTEGER NOT NULL,
                    key TEXT NOT NULL,
                    value TEXT NOT NULL,
                    PRIMARY KEY (name, version, key),
                    FOREIGN KEY (name, version) REFERENCES model_versions(name, version) ON UPDATE CASCADE ON DELETE CASCADE
                ) WITHOUT ROWID;
                CREATE TABLE registered_model_aliases (
                    name TEXT NOT NULL REFERENCES registered_models(name) ON UPDATE CASCADE ON DELETE CASCADE,
                    alias TEXT NOT NULL,
                    version INTEGER NOT NULL,
                    PRIMARY KEY (name, alias),
                    FOREIGN KEY (name, version) REFERENCES model_versions(name, version) ON UPDATE CASCADE ON DELETE CASCADE
                ) WITHOUT ROWID;
                CREATE TABLE promotion_policies (
                    name TEXT PRIMARY KEY REFERENCES registered_models(name) ON UPDATE CASCADE ON DELETE CASCADE,
                    document TEXT NOT NULL,
                    updated_by TEXT NOT NULL,
                    updated_at INTEGER NOT NULL
                ) WITHOUT ROWID;
                CREATE TABLE model_history (
                    sequence INTEGER PRIMARY KEY AUTOINCREMENT,
                    name TEXT NOT NULL,
                    version INTEGER,
                    action TEXT NOT NULL,
                    detail TEXT NOT NULL,
                    actor TEXT NOT NULL,
                    timestamp INTEGER NOT NULL
                );
                CREATE INDEX model_history_by_name ON model_history(name, sequence);
                CREATE TRIGGER model_history_is_append_only_update BEFORE UPDATE ON model_history
                BEGIN SELECT RAISE(ABORT, 'model history is append-only'); END;
                CREATE TRIGGER model_history_is_append_only_delete BEFORE DELETE ON model_history
                BEGIN SELECT RAISE(ABORT, 'model history is append-only'); END;
                """)
        }
        // Registered models get a stable id, and their history is keyed by it: a rename keeps the
        // history, a later model of the same name starts a new one. Existing entries are given the id of
        // the model they belonged to by replaying the history in order: a `renamed` entry carries the id
        // from the old name to the new one, a `model_deleted` entry ends the name's current model.
        migrator.registerMigration("v2-registry-model-ids") { db in
            try db.execute(sql: """
                ALTER TABLE registered_models ADD COLUMN model_id TEXT;
                ALTER TABLE model_history ADD COLUMN model_id TEXT;
                DROP TRIGGER model_history_is_append_only_update;
                """)
            var current: [String: String] = [:]
            let rows = try Row.fetchAll(db, sql: "SELECT sequence, name, action, detail FROM model_history ORDER BY sequence")
            for row in rows {
                let sequence: Int64 = row[0]
                let name: String = row[1]
                let action: String = row[2]
                let detail: String = row[3]
                var id = current[name]
                if action == HistoryAction.renamed.rawValue, let from = Self.renamedFrom(detail), let moved = current.removeValue(forKey: from) {
                    id = moved
                }
                let assigned = id ?? Self.newRegisteredModelId()
                current[name] = assigned
                try db.execute(sql: "UPDATE model_history SET model_id = ? WHERE sequence = ?", arguments: [assigned, sequence])
                if action == HistoryAction.modelDeleted.rawValue { current.removeValue(forKey: name) }
            }
            for name in try String.fetchAll(db, sql: "SELECT name FROM registered_models") {
                try db.execute(sql: "UPDATE registered_models SET model_id = ? WHERE name = ?",
                               arguments: [current[name] ?? Self.newRegisteredModelId(), name])
            }
            try db.execute(sql: """
                CREATE UNIQUE INDEX registered_models_by_model_id ON registered_models(model_id);
                CREATE INDEX model_history_by_model_id ON model_history(model_id, sequence);
                CREATE TRIGGER model_history_is_append_only_update BEFORE UPDATE ON model_history
                BEGIN SELECT RAISE(ABORT, 'model history is append-only'); END;
                """)
        }
    }

    /// For migration tests: a database at `path` migrated only up to `migration`, with `sql` run on it.
    static func createDatabase(at path: String, migratedUpTo migration: String, then sql: String) throws {
        let queue = try DatabaseQueue(path: path)
        try migrator.migrate(queue, upTo: migration)
        try queue.write { db in try db.execute(sql: sql) }
    }

    /// The old name in a `renamed` history entry's detail (`{"from": "<old name>"}`).
    static func renamedFrom(_ detail: String) -> String? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(detail.utf8)) as? [String: Any] else { return nil }
        return object["from"] as? String
    }
}
