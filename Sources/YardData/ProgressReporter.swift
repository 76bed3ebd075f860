/// Long operations report progress through this; the CLI draws a bar, tests and CI pass `SilentProgress`.
/// `advance` is called from many threads at once, so implementations must be thread-safe and cheap.
public protocol ProgressReporter: Sendable {
    /// A new phase ("Hashing", "Uploading") with its totals; 0 bytes when unknown.
    func start(_ phase: String, files: Int, bytes: Int64)
    func advance(files: Int, bytes: Int64)
    /// The phase is over.
    func finish()
}

public struct SilentProgress: ProgressReporter {
    public init() {}
    public func start(_ phase: String, files: Int, bytes: Int64) {}
    public func advance(files: Int, bytes: Int64) {}
    public func finish() {}
}
