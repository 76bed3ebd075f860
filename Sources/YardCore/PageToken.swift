import Foundation

/// Offset pagination behind an opaque token, as MLflow does (base64 of `{"offset": N}`).
/// Clients never look inside, but a token that does not decode must be a 400, not a crash.
public enum PageToken {
    public static func encode(offset: Int) -> String {
        Data("{\"offset\": \(offset)}".utf8).base64EncodedString()
    }

    public static func decodeOffset(_ token: String?) throws(YardError) -> Int {
        guard let token, !token.isEmpty else { return 0 }
        guard let data = Data(base64Encoded: token),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let number = object["offset"] as? NSNumber
        else {
            throw .invalid("Invalid page token, could not base64-decode: \(token)")
        }
        // Any JSON number can arrive here (1e300, 2^64, -1, 0.5); `intValue` of one outside Int's range
        // is undefined, so the range is checked on the double first.
        let value = number.doubleValue
        guard value.isFinite, value >= 0, value <= Double(Validation.maxPageOffset), value == value.rounded(.towardZero) else {
            throw .invalid("Invalid page token, its offset is out of range: \(token)")
        }
        return Int(value)
    }

    /// Token for the page after `offset` when more items follow (saturating at `Int.max`, which
    /// `decodeOffset` then refuses). Stores fetch one item more than the
    /// page holds to know that, so a client never follows a token to an empty page.
    public static func next(offset: Int, pageSize: Int, fetched: Int) -> String? {
        guard fetched > pageSize else { return nil }
        let (sum, overflow) = offset.addingReportingOverflow(max(pageSize, 0))
        return encode(offset: overflow ? Int.max : sum)
    }
}
