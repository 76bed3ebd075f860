import Foundation

/// Identifiers, names and times generated the way MLflow's clients expect to see them.
public enum Identifiers {
    /// 32 lowercase hex digits, as MLflow run ids.
    public static func newRunId() -> String {
        UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
    }

    public static func nowMillis() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
    }

    private static let adjectives = [
        "amazing", "bold", "brave", "bright", "calm", "capable", "clean", "clever", "crisp", "dapper",
        "eager", "fearless", "gentle", "glamorous", "honest", "keen", "kindly", "likeable", "lively", "loud",
        "nimble", "polite", "quick", "redolent", "resilient", "rogue", "sedate", "silent", "skillful", "smiling",
        "stately", "sincere", "tasteful", "thoughtful", "traveling", "unique", "upbeat", "useful", "valuable", "wistful",
    ]
    private static let nouns = [
        "ant", "ape", "bass", "bat", "bear", "bird", "carp", "cat", "colt", "crab", "crane", "deer", "doe",
        "eel", "fawn", "finch", "fly", "foal", "fox", "frog", "goat", "gull", "hawk", "hen", "horse", "jay",
        "koi", "lamb", "lark", "lynx", "mink", "mole", "moth", "mouse", "newt", "owl", "panda", "ram", "seal",
        "shrike", "skunk", "sloth", "snail", "stag", "swan", "toad", "trout", "vole", "whale", "wolf", "wren",
    ]

    /// `adjective-noun-NNN`, the shape MLflow gives runs created without a name.
    public static func randomRunName() -> String {
        "\(adjectives.randomElement()!)-\(nouns.randomElement()!)-\(Int.random(in: 0..<1000))"
    }
}
