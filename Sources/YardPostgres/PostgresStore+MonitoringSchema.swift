extension PostgresStore {
    static let monitoringMigrations: [PostgresMigration] = []
}
