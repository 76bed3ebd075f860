#if canImport(Glibc)
import Glibc

/// glibc functions that Swift's Glibc module hides behind _GNU_SOURCE, looked up once at run time.
/// Each is nil where the C library lacks it, and callers fall back to the portable call.
enum LinuxCalls {
    typealias CopyFileRange = @convention(c) (Int32, UnsafeMutablePointer<Int64>?, Int32, UnsafeMutablePointer<Int64>?, Int, UInt32) -> Int
    typealias SyncFileRange = @convention(c) (Int32, Int64, Int64, UInt32) -> Int32
    typealias RenameAt2 = @convention(c) (Int32, UnsafePointer<CChar>, Int32, UnsafePointer<CChar>, UInt32) -> Int32

    /// renameat2's RENAME_NOREPLACE: fail with EEXIST instead of replacing the destination.
    static let renameNoReplace: UInt32 = 1

    /// sync_file_range's SYNC_FILE_RANGE_WRITE: start writeback of the range, do not wait for it.
    static let syncFileRangeWrite: UInt32 = 2

    static let copyFileRange: CopyFileRange? = symbol("copy_file_range", as: CopyFileRange.self)
    static let syncFileRange: SyncFileRange? = symbol("sync_file_range", as: SyncFileRange.self)
    static let renameAt2: RenameAt2? = symbol("renameat2", as: RenameAt2.self)

    private static func symbol<T>(_ name: String, as type: T.Type) -> T? {
        guard let handle = dlopen(nil, RTLD_NOW), let address = dlsym(handle, name) else { return nil }
        return unsafeBitCast(address, to: type)
    }
}
#endif
