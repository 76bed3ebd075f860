import GRDB

extension SQLiteStore {
    static func registerDataMigrations(_ migrator: inout DatabaseMigrator) {
    }
}
