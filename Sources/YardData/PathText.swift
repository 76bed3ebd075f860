/// '/'-separated path arithmetic on plain strings. Foundation's NSString path methods crash on a
/// one-component relative path ("d") in this toolchain's swift-corelibs-foundation, and cost bridging anyway.
public enum PathText {
    /// Everything before the last '/', or "" when there is none ("/" for a top-level absolute path).
    public static func parent(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "" }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }

    /// The part after the last '/'.
    public static func name(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }

    /// `folder/name`, or `name` when the folder is empty.
    public static func join(_ folder: String, _ name: String) -> String {
        folder.isEmpty ? name : folder.hasSuffix("/") ? folder + name : folder + "/" + name
    }
}

extension PathText {
    /// Names git and yard keep for themselves: no tracked file or folder may be called this, at any depth.
    static let reservedNames: Set<String> = [".git", ".yard"]

    /// Why `path`, read from a pointer file or a manifest, is not a safe '/'-separated path relative to its
    /// folder; nil when it is. Refused: empty, absolute, empty / `.` / `..` segments, NUL, backslash (a
    /// separator elsewhere), and `.git` / `.yard` segments (any case). With `singleName`, no '/' either.
    public static func unsafeReason(_ path: String, singleName: Bool = false) -> String? {
        if path.isEmpty { return "it is empty" }
        if path.utf8.contains(0) { return "it contains a NUL byte" }
        if path.utf8.contains(UInt8(ascii: "\\")) { return "it contains a backslash" }
        if path.hasPrefix("/") { return "it is absolute" }
        if singleName && path.contains("/") { return "it is not a single name" }
        for segment in path.split(separator: "/", omittingEmptySubsequences: false) {
            if segment.isEmpty { return "it has an empty segment" }
            if segment == "." || segment == ".." { return "it has a '\(segment)' segment" }
            if reservedNames.contains(segment.lowercased()) { return "it names '\(segment)', which is reserved for git and yard" }
        }
        return nil
    }

    /// `text` with control characters made visible, for error messages about untrusted paths.
    static func shown(_ text: String) -> String {
        var result = ""
        for scalar in text.unicodeScalars {
            if scalar.value < 0x20 || scalar.value == 0x7F {
                result += scalar == "\n" ? "\\n" : "\\u{\(String(scalar.value, radix: 16))}"
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
}
