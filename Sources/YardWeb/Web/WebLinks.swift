/// Every URL of the web UI, built in one place so pages link to each other the same way and every path
/// segment and query value is percent-encoded. A URL is a page's stable, shareable address: state that
/// matters (filter, order, columns, selected runs) lives in its query, never only in the browser.
public enum WebLinks {
    public static let root = "/ui"

    public static func experiments(view: String? = nil) -> String {
        with(root + "/experiments", [("view", view)])
    }

    public static func experiment(_ id: String, query: [(String, String?)] = []) -> String {
        with(root + "/experiments/" + segment(id), query)
    }

    public static func experimentAction(_ id: String, _ action: String) -> String {
        root + "/experiments/" + segment(id) + "/" + action
    }

    public static func experimentColumns(_ id: String) -> String {
        root + "/experiments/" + segment(id) + "/columns"
    }

    public static func run(_ id: String, query: [(String, String?)] = []) -> String {
        with(root + "/runs/" + segment(id), query)
    }

    public static func runChart(_ id: String, query: [(String, String?)]) -> String {
        with(root + "/runs/" + segment(id) + "/chart", query)
    }

    public static func runArtifacts(_ id: String, path: String? = nil) -> String {
        with(root + "/runs/" + segment(id) + "/artifacts", [("path", path)])
    }

    /// The artifact's bytes, served with a content type that cannot run script (see RunPages).
    public static func runArtifactRaw(_ id: String, path: String) -> String {
        with(root + "/runs/" + segment(id) + "/artifact", [("path", path)])
    }

    public static func compare(runs: [String], query: [(String, String?)] = []) -> String {
        with(root + "/compare", [("runs", runs.joined(separator: ","))] + query)
    }

    public static func models() -> String { root + "/models" }

    public static func model(_ name: String) -> String { root + "/models/" + segment(name) }

    public static func modelVersion(_ name: String, _ version: String) -> String {
        root + "/models/" + segment(name) + "/versions/" + segment(version)
    }

    public static func datasets() -> String { root + "/datasets" }

    public static func dataset(_ name: String) -> String { root + "/datasets/" + segment(name) }

    /// `digest` in any form the dataset service accepts (full, `sha256:`-prefixed, or the 36-character short one).
    public static func datasetVersion(_ name: String, _ digest: String) -> String {
        root + "/datasets/" + segment(name) + "/versions/" + segment(digest)
    }

    public static func asset(_ name: String) -> String { root + "/static/" + name }

    // MARK: Encoding

    /// `path` plus the non-nil, non-empty query pairs.
    public static func with(_ path: String, _ query: [(String, String?)]) -> String {
        var result = path
        var separator = "?"
        for (key, value) in query {
            guard let value, !value.isEmpty else { continue }
            result += separator + component(key) + "=" + component(value)
            separator = "&"
        }
        return result
    }

    /// One path segment: everything but unreserved characters escaped, `/` included.
    public static func segment(_ value: String) -> String { component(value) }

    public static func component(_ value: String) -> String {
        var output = ""
        output.reserveCapacity(value.utf8.count)
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                output.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                output += "%"
                output += hexDigits[Int(byte >> 4)]
                output += hexDigits[Int(byte & 0x0F)]
            }
        }
        return output
    }

    private static let hexDigits = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "A", "B", "C", "D", "E", "F"]
}
