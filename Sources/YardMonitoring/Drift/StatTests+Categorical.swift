// Placeholder: the categorical-statistics work replaces this file.
extension StatTest {
    public static let chiSquare = StatTest(name: "chisquare", title: "chi-square p_value", scoreKind: .pValue, defaultThreshold: 0.05,
                                     columnKinds: [.categorical]) { _, _, _, _ throws(DriftError) in
        throw DriftError("The chisquare test is not implemented yet.")
    }
    public static let z = StatTest(name: "z", title: "Z-test p_value", scoreKind: .pValue, defaultThreshold: 0.05,
                                     columnKinds: [.categorical]) { _, _, _, _ throws(DriftError) in
        throw DriftError("The z test is not implemented yet.")
    }
    public static let jensenShannon = StatTest(name: "jensenshannon", title: "Jensen-Shannon distance", scoreKind: .distance, defaultThreshold: 0.1,
                                     columnKinds: [.categorical, .numerical]) { _, _, _, _ throws(DriftError) in
        throw DriftError("The jensenshannon test is not implemented yet.")
    }
    public static let psi = StatTest(name: "psi", title: "PSI", scoreKind: .distance, defaultThreshold: 0.1,
                                     columnKinds: [.categorical, .numerical]) { _, _, _, _ throws(DriftError) in
        throw DriftError("The psi test is not implemented yet.")
    }
    public static let klDiv = StatTest(name: "kl_div", title: "Kullback-Leibler divergence", scoreKind: .distance, defaultThreshold: 0.1,
                                     columnKinds: [.categorical, .numerical]) { _, _, _, _ throws(DriftError) in
        throw DriftError("The kl_div test is not implemented yet.")
    }
    public static let hellinger = StatTest(name: "hellinger", title: "Hellinger distance", scoreKind: .distance, defaultThreshold: 0.1,
                                     columnKinds: [.categorical, .numerical]) { _, _, _, _ throws(DriftError) in
        throw DriftError("The hellinger test is not implemented yet.")
    }
    public static let fisherExact = StatTest(name: "fisher_exact", title: "Fisher's Exact test", scoreKind: .pValue, defaultThreshold: 0.1,
                                     columnKinds: [.categorical]) { _, _, _, _ throws(DriftError) in
        throw DriftError("The fisher_exact test is not implemented yet.")
    }
    public static let gTest = StatTest(name: "g_test", title: "g_test", scoreKind: .pValue, defaultThreshold: 0.1,
                                     columnKinds: [.categorical]) { _, _, _, _ throws(DriftError) in
        throw DriftError("The g_test test is not implemented yet.")
    }
}
