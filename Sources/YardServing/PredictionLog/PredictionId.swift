import YardCore

/// Prediction ids in the UUID version 7 layout: 48 bits of milliseconds since the epoch, then random bits.
/// Their text sorts by creation time (to the millisecond), which keeps the log's id index append-mostly
/// and lets a person tell from two ids which request came first.
public enum PredictionId {
    public static func make(millis: Int64 = Identifiers.nowMillis()) -> String {
        var generator = SystemRandomNumberGenerator()
        let time = UInt64(truncatingIfNeeded: millis) & 0xFFFF_FFFF_FFFF
        let high = time << 16 | 0x7000 | (generator.next() & 0x0FFF)
        let low = 0x8000_0000_0000_0000 | (generator.next() & 0x3FFF_FFFF_FFFF_FFFF)
        let digits = Array(hexDigits(high) + hexDigits(low))
        return [digits[0..<8], digits[8..<12], digits[12..<16], digits[16..<20], digits[20..<32]]
            .map { String($0) }.joined(separator: "-")
    }

    private static func hexDigits(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
