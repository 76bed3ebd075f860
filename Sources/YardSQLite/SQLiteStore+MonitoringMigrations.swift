import GRDB

extension SQLiteStore {
    static func registerMonitoringMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v1-monitoring") { db in
            try db.execute(sql: """
                CREATE TABLE monitors (
                    name TEXT PRIMARY KEY,
                    spec TEXT NOT NULL,
                    created_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL
                ) WITHOUT ROWID;
                -- History has no foreign key to the monitor: deleting a monitor keeps what it said.
                CREATE TABLE monitor_evaluations (
                    id INTEGER PRIMARY KEY,
                    monitor TEXT NOT NULL,
                    evaluated_at INTEGER NOT NULL,
                    window_start INTEGER NOT NULL,
                    window_end INTEGER NOT NULL,
                    row_count INTEGER NOT NULL,
                    labeled_rows INTEGER NOT NULL,
                    model_name TEXT NOT NULL,
                    model_version TEXT NOT NULL,
                    status TEXT NOT NULL,
                    error TEXT,
                    dataset_drift INTEGER NOT NULL,
                    share_drifted REAL NOT NULL,
                    result TEXT NOT NULL
                );
                CREATE INDEX monitor_evaluations_by_monitor ON monitor_evaluations(monitor, id);
                CREATE TABLE monitor_alert_states (
                    monitor TEXT NOT NULL REFERENCES monitors(name) ON DELETE CASCADE,
                    rule TEXT NOT NULL,
                    state TEXT NOT NULL,
                    consecutive INTEGER NOT NULL,
                    since INTEGER NOT NULL,
                    last_value REAL,
                    PRIMARY KEY (monitor, rule)
                ) WITHOUT ROWID;
                CREATE TABLE monitor_alert_events (
                    id INTEGER PRIMARY KEY,
                    monitor TEXT NOT NULL,
                    rule TEXT NOT NULL,
                    state TEXT NOT NULL,
                    evaluation_id INTEGER NOT NULL,
                    timestamp INTEGER NOT NULL,
                    value REAL,
                    message TEXT NOT NULL
                );
                CREATE INDEX monitor_alert_events_by_monitor ON monitor_alert_events(monitor, id);
                CREATE TABLE monitor_action_outcomes (
                    id INTEGER PRIMARY KEY,
                    event_id INTEGER NOT NULL,
                    monitor TEXT NOT NULL,
                    action TEXT NOT NULL,
                    target TEXT NOT NULL,
                    attempt INTEGER NOT NULL,
                    outcome TEXT NOT NULL,
                    detail TEXT NOT NULL,
                    timestamp INTEGER NOT NULL
                );
                CREATE INDEX monitor_action_outcomes_by_monitor ON monitor_action_outcomes(monitor, id);
                CREATE TABLE monitor_reference_profiles (
                    key TEXT PRIMARY KEY,
                    profile BLOB NOT NULL,
                    created_at INTEGER NOT NULL
                ) WITHOUT ROWID;
                """)
        }
    }
}
