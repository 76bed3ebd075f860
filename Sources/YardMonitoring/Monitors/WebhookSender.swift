/// Posts an alert's JSON payload. The server provides one over its HTTP client; YardMonitoring has none.
public protocol WebhookSender: Sendable {
    /// Returns the HTTP status; throws when no answer came (connection refused, timeout).
    func post(url: String, body: [UInt8], timeout: Duration) async throws -> Int
}

/// How often and how long apart a failed webhook is tried again: `1 + retries` attempts, waiting
/// `baseDelay`, then twice as long each time, never more than `maxDelay`.
public struct RetryPolicy: Sendable, Equatable {
    public var retries: Int
    public var baseDelay: Duration
    public var maxDelay: Duration

    public init(retries: Int, baseDelay: Duration = .milliseconds(500), maxDelay: Duration = .seconds(30)) {
        self.retries = max(retries, 0)
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
    }

    public var attempts: Int { 1 + retries }

    /// The pause before attempt `attempt` (2…attempts): 0.5 s, 1 s, 2 s, … with the defaults.
    public func delay(beforeAttempt attempt: Int) -> Duration {
        guard attempt > 1 else { return .zero }
        var delay = baseDelay
        for _ in 2..<attempt {
            delay = delay * 2
            if delay >= maxDelay { return maxDelay }
        }
        return min(delay, maxDelay)
    }
}
