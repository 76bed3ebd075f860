extension PostgresStore {
    static let servingMigrations: [PostgresMigration] = []
}
