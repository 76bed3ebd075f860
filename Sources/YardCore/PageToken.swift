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
              let offset = (object["offset"] as? NSNumber)?.intValue, offset >= 0
        else {
            throw .invalid("Invalid page token, could not base64-decode: \(token)")
        }
        return offset
    }

    /// Token for the page after `offset` when more items follow. Stores fetch one item more than the
    /// page holds to know that, so a client never follows a token to an empty page.
    public static func next(offset: Int, pageSize: Int, fetched: Int) -> String? {
        fetched > pageSize ? encode(offset: offset + pageSize) : nil
    }
}
