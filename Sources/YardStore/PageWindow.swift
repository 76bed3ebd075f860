import YardCore

/// One page of a search, shared by every store implementation: where it starts (from the client's page token, range-checked) and how many rows
/// it holds. The services validate `max_results` first; the store clamps again to `1...cap`, so
/// `size + 1` (one extra row tells whether another page follows) holds for any caller of the protocol.
public struct PageWindow: Sendable {
    public let offset: Int
    public let size: Int

    public init(token: String?, requested: Int, cap: Int) throws {
        offset = try Validation.pageOffset(token)
        size = min(max(requested, 1), cap)
    }

    /// Rows to fetch: the page plus one.
    public var fetchLimit: Int { size + 1 }

    public var limitSQL: String { "LIMIT \(fetchLimit) OFFSET \(offset)" }

    /// The page from what was fetched, with a token for the next page when the extra row came back.
    public func page<Item>(_ fetched: [Item]) -> Page<Item> {
        Page(items: Array(fetched.prefix(size)), nextPageToken: nextPageToken(fetched: fetched.count))
    }

    /// The next page's token, when `fetched` (rows returned for `fetchLimit`) includes the extra row.
    public func nextPageToken(fetched: Int) -> String? {
        PageToken.next(offset: offset, pageSize: size, fetched: fetched)
    }
}
