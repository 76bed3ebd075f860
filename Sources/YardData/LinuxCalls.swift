#if canImport(Glibc)
import Glibc

/// glibc functions that Swift's Glibc module hides behind _GNU_SOURCE, looked up once at run time.
/// Each is nil where the C library lacks it, and callers fall back to the portable call.
enum LinuxCalls {
    typealias SyncFS = @convention(c) (Int32) -> Int32
    typealias CopyFileRange = @convention(c) (Int32, UnsafeMutablePointer<Int64>?, Int32, UnsafeMutablePointer<Int64>?, Int, UInt32) -> Int

    static let syncfs: SyncFS? = symbol("syncfs", as: SyncFS.self)
    static let copyFileRange: CopyFileRange? = symbol("copy_file_range", as: CopyFileRange.self)

    private static func symbol<T>(_ name: String, as type: T.Type) -> T? {
        guard let handle = dlopen(nil, RTLD_NOW), let address = dlsym(handle, name) else { return nil }
        return unsafeBitCast(address, to: type)
    }
}
#endif
