import GRDB

extension SQLiteStore {
    static func registerServingMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v1-serving") { db in
            try db.execute(sql: """
                CREATE TABLE serving_deployments (
                    name TEXT PRIMARY KEY,
                    model_uri TEXT NOT NULL,
                    canary_uri TEXT,
                    canary_share REAL NOT NULL,
                    shadow_uri TEXT,
                    log_sample_rate REAL NOT NULL,
                    created_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL
                ) WITHOUT ROWID;
                -- No foreign key to the deployments: a deleted deployment's log stays for monitoring.
                -- `seq` (the rowid) orders records logged in the same millisecond and keys the pages.
                CREATE TABLE serving_predictions (
                    seq INTEGER PRIMARY KEY,
                    id TEXT NOT NULL,
                    deployment TEXT NOT NULL,
                    model_name TEXT NOT NULL,
                    model_version TEXT NOT NULL,
                    role TEXT NOT NULL,
                    timestamp INTEGER NOT NULL,
                    latency_micros INTEGER NOT NULL,
                    inputs TEXT NOT NULL,
                    outputs TEXT NOT NULL,
                    row_count INTEGER NOT NULL,
                    label TEXT,
                    labeled_at INTEGER
                );
                -- Index entries end with the rowid, so this one serves (timestamp, seq) order and ranges.
                CREATE INDEX serving_predictions_by_time ON serving_predictions(deployment, timestamp);
                CREATE UNIQUE INDEX serving_predictions_by_id ON serving_predictions(id, role);
                """)
        }
        // Record ids are unique per deployment (a stream's client-chosen ids must not collide with another
        // stream's); labels are joined by (deployment, id), which this index also serves.
        migrator.registerMigration("v2-serving-record-ids-per-deployment") { db in
            try db.execute(sql: """
                DROP INDEX serving_predictions_by_id;
                CREATE UNIQUE INDEX serving_predictions_by_id ON serving_predictions(deployment, id, role);
                """)
        }
    }
}