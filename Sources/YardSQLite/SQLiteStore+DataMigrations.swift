import GRDB
import YardStore

extension SQLiteStore {
    static func registerDataMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v1-data") { db in
            try db.execute(sql: """
                CREATE TABLE data_dataset_versions (
                    name TEXT NOT NULL,
                    digest TEXT NOT NULL,
                    short_digest TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    size INTEGER NOT NULL,
                    files INTEGER NOT NULL,
                    source TEXT,
                    profile TEXT,
                    created_at INTEGER NOT NULL,
                    PRIMARY KEY (name, digest)
                ) WITHOUT ROWID;
                CREATE INDEX data_dataset_versions_by_short_digest ON data_dataset_versions(short_digest);
                CREATE INDEX data_dataset_versions_by_time ON data_dataset_versions(name, created_at DESC);
                -- MLflow's own dataset table, searched by digest to list the runs that used a version.
                CREATE INDEX datasets_by_digest ON datasets(digest);
                """)
        }
    }
}

