import Foundation
import YardData
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Draws a one-line progress bar on stderr (files, bytes, rate, time left) when stderr is a terminal,
/// and stays silent otherwise (CI, pipes, `--quiet`), so logs never fill with carriage returns.
final class ProgressBar: ProgressReporter, @unchecked Sendable {
    // Unchecked: all mutable state is guarded by `lock`.
    private let lock = NSLock()
    private var phase = ""
    private var totalFiles = 0
    private var totalBytes: Int64 = 0
    private var files = 0
    private var bytes: Int64 = 0
    private var started = Date()
    private var lastDraw = Date.distantPast
    private var drawn = false

    /// A bar for an interactive terminal, or a silent reporter.
    static func make(quiet: Bool) -> any ProgressReporter {
        let environment = ProcessInfo.processInfo.environment
        let interactive = isatty(STDERR_FILENO) == 1 && environment["CI"] == nil && environment["TERM"] != "dumb"
        return quiet || !interactive ? SilentProgress() : ProgressBar()
    }

    func start(_ phase: String, files: Int, bytes: Int64) {
        lock.lock()
        defer { lock.unlock() }
        self.phase = phase
        totalFiles = files
        totalBytes = bytes
        self.files = 0
        self.bytes = 0
        started = Date()
        lastDraw = .distantPast
        drawn = false
    }

    func advance(files: Int, bytes: Int64) {
        lock.lock()
        defer { lock.unlock() }
        self.files += files
        self.bytes += bytes
        let now = Date()
        // Redraw at most ten times a second, and only for work that takes long enough to watch.
        guard now.timeIntervalSince(lastDraw) >= 0.1, now.timeIntervalSince(started) >= 0.3 else { return }
        lastDraw = now
        draw(now: now)
    }

    func finish() {
        lock.lock()
        defer { lock.unlock() }
        guard drawn else { return }
        draw(now: Date())
        FileHandle.standardError.write(Data("\n".utf8))
        drawn = false
    }

    private func draw(now: Date) {
        let elapsed = max(now.timeIntervalSince(started), 0.001)
        let fraction: Double = totalBytes > 0 ? Double(bytes) / Double(totalBytes)
            : totalFiles > 0 ? Double(files) / Double(totalFiles) : 0
        let width = 24
        let filled = min(width, Int(fraction * Double(width)))
        let bar = String(repeating: "=", count: filled) + (filled < width ? ">" : "") + String(repeating: " ", count: max(0, width - filled - 1))
        let rate = Double(bytes) / elapsed
        var line = "\(phase) [\(bar)] \(files)/\(totalFiles) files  \(Self.size(bytes))/\(Self.size(totalBytes))  \(Self.size(Int64(rate)))/s"
        if fraction > 0.01 && fraction < 1 {
            line += "  \(Self.duration(elapsed * (1 - fraction) / fraction)) left"
        }
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + line).utf8))
        drawn = true
    }

    static func size(_ bytes: Int64) -> String {
        let units = ["B", "KB", "MB", "GB", "TB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1000 && unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        return unit == 0 ? "\(bytes) B" : String(format: "%.1f %@", value, units[unit])
    }

    static func duration(_ seconds: Double) -> String {
        let total = Int(seconds.rounded())
        return total >= 3600 ? String(format: "%d:%02d:%02d", total / 3600, total / 60 % 60, total % 60)
            : String(format: "%d:%02d", total / 60, total % 60)
    }
}
