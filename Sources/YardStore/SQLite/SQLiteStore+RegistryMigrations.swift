import GRDB

extension SQLiteStore {
    static func registerRegistryMigrations(_ migrator: inout DatabaseMigrator) {
    }
}
