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
