extension PostgresStore {
    /// The SQLite store's v1-registry and v2-registry-model-ids in one: logged models, registered models with
    /// their stable ids, versions, aliases, policies and the append-only history keyed by model id.
    static let registryMigrations: [PostgresMigration] = [
        PostgresMigration(id: "v1-registry", statements: [
            """
            CREATE TABLE logged_models (
                model_id TEXT COLLATE "C" PRIMARY KEY,
                experiment_id BIGINT NOT NULL REFERENCES experiments(experiment_id),
                name TEXT COLLATE "C" NOT NULL,
                artifact_location TEXT COLLATE "C" NOT NULL,
                creation_timestamp BIGINT NOT NULL,
                last_updated_timestamp BIGINT NOT NULL,
                status TEXT COLLATE "C" NOT NULL,
                status_message TEXT COLLATE "C",
                lifecycle_stage TEXT COLLATE "C" NOT NULL,
                model_type TEXT COLLATE "C",
                source_run_id TEXT COLLATE "C"
            )
            """,
            "CREATE INDEX logged_models_by_experiment ON logged_models(experiment_id, creation_timestamp DESC)",
            """
            CREATE TABLE logged_model_params (
                model_id TEXT COLLATE "C" NOT NULL REFERENCES logged_models(model_id) ON DELETE CASCADE,
                key TEXT COLLATE "C" NOT NULL,
                value TEXT COLLATE "C" NOT NULL,
                PRIMARY KEY (model_id, key)
            )
            """,
            """
            CREATE TABLE logged_model_tags (
                model_id TEXT COLLATE "C" NOT NULL REFERENCES logged_models(model_id) ON DELETE CASCADE,
                key TEXT COLLATE "C" NOT NULL,
                value TEXT COLLATE "C" NOT NULL,
                PRIMARY KEY (model_id, key)
            )
            """,
            """
            CREATE TABLE logged_model_metrics (
                model_id TEXT COLLATE "C" NOT NULL REFERENCES logged_models(model_id) ON DELETE CASCADE,
                key TEXT COLLATE "C" NOT NULL,
                timestamp BIGINT NOT NULL,
                step BIGINT NOT NULL,
                value DOUBLE PRECISION NOT NULL,
                is_nan BIGINT NOT NULL,
                run_id TEXT COLLATE "C" NOT NULL DEFAULT '',
                dataset_name TEXT COLLATE "C",
                dataset_digest TEXT COLLATE "C",
                PRIMARY KEY (model_id, key, timestamp, step, run_id, value, is_nan)
            )
            """,
            """
            CREATE TABLE registered_models (
                name TEXT COLLATE "C" PRIMARY KEY,
                creation_timestamp BIGINT NOT NULL,
                last_updated_timestamp BIGINT NOT NULL,
                user_id TEXT COLLATE "C",
                description TEXT COLLATE "C" NOT NULL DEFAULT '',
                model_id TEXT COLLATE "C" NOT NULL
            )
            """,
            "CREATE UNIQUE INDEX registered_models_by_model_id ON registered_models(model_id)",
            """
            CREATE TABLE registered_model_tags (
                name TEXT COLLATE "C" NOT NULL REFERENCES registered_models(name) ON UPDATE CASCADE ON DELETE CASCADE,
                key TEXT COLLATE "C" NOT NULL,
                value TEXT COLLATE "C" NOT NULL,
                PRIMARY KEY (name, key)
            )
            """,
            """
            CREATE TABLE model_versions (
                name TEXT COLLATE "C" NOT NULL REFERENCES registered_models(name) ON UPDATE CASCADE ON DELETE CASCADE,
                version BIGINT NOT NULL,
                creation_timestamp BIGINT NOT NULL,
                last_updated_timestamp BIGINT NOT NULL,
                user_id TEXT COLLATE "C",
                current_stage TEXT COLLATE "C" NOT NULL,
                description TEXT COLLATE "C" NOT NULL DEFAULT '',
                source TEXT COLLATE "C" NOT NULL,
                run_id TEXT COLLATE "C",
                run_link TEXT COLLATE "C",
                model_id TEXT COLLATE "C",
                PRIMARY KEY (name, version)
            )
            """,
            """
            CREATE TABLE model_version_tags (
                name TEXT COLLATE "C" NOT NULL,
                version BIGINT NOT NULL,
                key TEXT COLLATE "C" NOT NULL,
                value TEXT COLLATE "C" NOT NULL,
                PRIMARY KEY (name, version, key),
                FOREIGN KEY (name, version) REFERENCES model_versions(name, version) ON UPDATE CASCADE ON DELETE CASCADE
            )
            """,
            """
            CREATE TABLE registered_model_aliases (
                name TEXT COLLATE "C" NOT NULL REFERENCES registered_models(name) ON UPDATE CASCADE ON DELETE CASCADE,
                alias TEXT COLLATE "C" NOT NULL,
                version BIGINT NOT NULL,
                PRIMARY KEY (name, alias),
                FOREIGN KEY (name, version) REFERENCES model_versions(name, version) ON UPDATE CASCADE ON DELETE CASCADE
            )
            """,
            """
            CREATE TABLE promotion_policies (
                name TEXT COLLATE "C" PRIMARY KEY REFERENCES registered_models(name) ON UPDATE CASCADE ON DELETE CASCADE,
                document TEXT COLLATE "C" NOT NULL,
                updated_by TEXT COLLATE "C" NOT NULL,
                updated_at BIGINT NOT NULL
            )
            """,
            """
            CREATE TABLE model_history (
                sequence BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                name TEXT COLLATE "C" NOT NULL,
                version BIGINT,
                action TEXT COLLATE "C" NOT NULL,
                detail TEXT COLLATE "C" NOT NULL,
                actor TEXT COLLATE "C" NOT NULL,
                timestamp BIGINT NOT NULL,
                model_id TEXT COLLATE "C" NOT NULL
            )
            """,
            "CREATE INDEX model_history_by_name ON model_history(name, sequence)",
            "CREATE INDEX model_history_by_model_id ON model_history(model_id, sequence)",
            // Append-only, enforced by the database itself as the SQLite triggers do (TRUNCATE included).
            """
            CREATE FUNCTION model_history_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'model history is append-only';
            END
            $$
            """,
            """
            CREATE TRIGGER model_history_is_append_only_update BEFORE UPDATE OR DELETE ON model_history
            FOR EACH ROW EXECUTE FUNCTION model_history_is_append_only()
            """,
            """
            CREATE TRIGGER model_history_is_append_only_truncate BEFORE TRUNCATE ON model_history
            FOR EACH STATEMENT EXECUTE FUNCTION model_history_is_append_only()
            """,
        ]),
    ]
}
