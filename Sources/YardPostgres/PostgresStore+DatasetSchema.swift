extension PostgresStore {
    static let datasetMigrations: [PostgresMigration] = []
}
