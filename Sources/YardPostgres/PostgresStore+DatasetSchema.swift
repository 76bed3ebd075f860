extension PostgresStore {
    /// The SQLite store's v1-data: registered dataset versions, and the digest index on MLflow's own
    /// `datasets` table (created by the tracking migration) that lists the runs using a version.
    static let datasetMigrations: [PostgresMigration] = [
        PostgresMigration(id: "v1-data", statements: [
            """
            CREATE TABLE data_dataset_versions (
                name TEXT COLLATE "C" NOT NULL,
                digest TEXT COLLATE "C" NOT NULL,
                short_digest TEXT COLLATE "C" NOT NULL,
                kind TEXT COLLATE "C" NOT NULL,
                size BIGINT NOT NULL,
                files BIGINT NOT NULL,
                source TEXT COLLATE "C",
                profile TEXT COLLATE "C",
                created_at BIGINT NOT NULL,
                PRIMARY KEY (name, digest)
            )
            """,
            "CREATE INDEX data_dataset_versions_by_short_digest ON data_dataset_versions(short_digest)",
            "CREATE INDEX data_dataset_versions_by_time ON data_dataset_versions(name, created_at DESC)",
            "CREATE INDEX datasets_by_digest ON datasets(digest)",
        ]),
    ]
}
