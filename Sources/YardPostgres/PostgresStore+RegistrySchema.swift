extension PostgresStore {
    static let registryMigrations: [PostgresMigration] = []
}
