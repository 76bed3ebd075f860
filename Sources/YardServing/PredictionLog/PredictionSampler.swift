/// Whether a prediction is written to the log, decided from its id alone: the same id gets the same
/// answer wherever it is asked (the primary and the shadow answer of one request are kept or dropped
/// together), and a rate of 0.1 keeps about a tenth of the ids.
public enum PredictionSampler {
    public static func keeps(id: String, rate: Double) -> Bool {
        if rate >= 1 { return true }
        // Also false for NaN: a rate that is not a number logs nothing rather than everything.
        guard rate > 0 else { return false }
        return unitInterval(id) < rate
    }

    /// The id hashed (FNV-1a, then a SplitMix64 finaliser so similar ids spread out) onto [0, 1).
    static func unitInterval(_ id: String) -> Double {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in id.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        hash = (hash ^ (hash >> 30)) &* 0xbf58_476d_1ce4_e5b9
        hash = (hash ^ (hash >> 27)) &* 0x94d0_49bb_1331_11eb
        hash ^= hash >> 31
        return Double(hash >> 11) / Double(UInt64(1) << 53)
    }
}
