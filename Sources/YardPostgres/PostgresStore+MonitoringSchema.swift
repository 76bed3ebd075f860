extension PostgresStore {
    /// The SQLite monitoring schema. Ids are numbered max+1 inside the SERIALIZABLE write, as SQLite
    /// numbers its rowids, so a refused commit leaves no gap. `dataset_drift` is a BOOLEAN.
    static let monitoringMigrations: [PostgresMigration] = [
        PostgresMigration(id: "v1-monitoring", statements: [
            """
            CREATE TABLE monitors (
                name TEXT COLLATE "C" PRIMARY KEY,
                spec TEXT COLLATE "C" NOT NULL,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL
            )
            """,
            // History has no foreign key to the monitor: deleting a monitor keeps what it said.
            """
            CREATE TABLE monitor_evaluations (
                id BIGINT PRIMARY KEY,
                monitor TEXT COLLATE "C" NOT NULL,
                evaluated_at BIGINT NOT NULL,
                window_start BIGINT NOT NULL,
                window_end BIGINT NOT NULL,
                row_count BIGINT NOT NULL,
                labeled_rows BIGINT NOT NULL,
                model_name TEXT COLLATE "C" NOT NULL,
                model_version TEXT COLLATE "C" NOT NULL,
                status TEXT COLLATE "C" NOT NULL,
                error TEXT COLLATE "C",
                dataset_drift BOOLEAN NOT NULL,
                share_drifted DOUBLE PRECISION NOT NULL,
                result TEXT COLLATE "C" NOT NULL
            )
            """,
            "CREATE INDEX monitor_evaluations_by_monitor ON monitor_evaluations(monitor, id)",
            """
            CREATE TABLE monitor_alert_states (
                monitor TEXT COLLATE "C" NOT NULL REFERENCES monitors(name) ON DELETE CASCADE,
                rule TEXT COLLATE "C" NOT NULL,
                state TEXT COLLATE "C" NOT NULL,
                consecutive BIGINT NOT NULL,
                since BIGINT NOT NULL,
                last_value DOUBLE PRECISION,
                PRIMARY KEY (monitor, rule)
            )
            """,
            """
            CREATE TABLE monitor_alert_events (
                id BIGINT PRIMARY KEY,
                monitor TEXT COLLATE "C" NOT NULL,
                rule TEXT COLLATE "C" NOT NULL,
                state TEXT COLLATE "C" NOT NULL,
                evaluation_id BIGINT NOT NULL,
                timestamp BIGINT NOT NULL,
                value DOUBLE PRECISION,
                message TEXT COLLATE "C" NOT NULL
            )
            """,
            "CREATE INDEX monitor_alert_events_by_monitor ON monitor_alert_events(monitor, id)",
            """
            CREATE TABLE monitor_action_outcomes (
                id BIGINT PRIMARY KEY,
                event_id BIGINT NOT NULL,
                monitor TEXT COLLATE "C" NOT NULL,
                action TEXT COLLATE "C" NOT NULL,
                target TEXT COLLATE "C" NOT NULL,
                attempt BIGINT NOT NULL,
                outcome TEXT COLLATE "C" NOT NULL,
                detail TEXT COLLATE "C" NOT NULL,
                timestamp BIGINT NOT NULL
            )
            """,
            "CREATE INDEX monitor_action_outcomes_by_monitor ON monitor_action_outcomes(monitor, id)",
            """
            CREATE TABLE monitor_reference_profiles (
                key TEXT COLLATE "C" PRIMARY KEY,
                profile BYTEA NOT NULL,
                created_at BIGINT NOT NULL
            )
            """,
        ]),
    ]
}
