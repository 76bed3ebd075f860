// Placeholder: the numerical-statistics work replaces this file.
extension StatTest {
    public static let ks = StatTest(name: "ks", title: "K-S p_value", scoreKind: .pValue, defaultThreshold: 0.05,
                                     columnKinds: [.numerical]) { _, _, _, _ throws(DriftError) in
        throw DriftError("The ks test is not implemented yet.")
    }
    public static let wasserstein = StatTest(name: "wasserstein", title: "Wasserstein distance (normed)", scoreKind: .distance, defaultThreshold: 0.1,
                                     columnKinds: [.numerical]) { _, _, _, _ throws(DriftError) in
        throw DriftError("The wasserstein test is not implemented yet.")
    }
    public static let anderson = StatTest(name: "anderson", title: "Anderson-Darling k-sample p_value", scoreKind: .pValue, defaultThreshold: 0.1,
                                     columnKinds: [.numerical]) { _, _, _, _ throws(DriftError) in
        throw DriftError("The anderson test is not implemented yet.")
    }
    public static let cramerVonMises = StatTest(name: "cramer_von_mises", title: "Cramer-von Mises p_value", scoreKind: .pValue, defaultThreshold: 0.1,
                                     columnKinds: [.numerical]) { _, _, _, _ throws(DriftError) in
        throw DriftError("The cramer_von_mises test is not implemented yet.")
    }
    public static let energyDistance = StatTest(name: "ed", title: "Energy-distance", scoreKind: .distance, defaultThreshold: 0.1,
                                     columnKinds: [.numerical]) { _, _, _, _ throws(DriftError) in
        throw DriftError("The ed test is not implemented yet.")
    }
    public static let mannWhitney = StatTest(name: "mannw", title: "Mann-Whitney U-rank test", scoreKind: .pValue, defaultThreshold: 0.05,
                                     columnKinds: [.numerical]) { _, _, _, _ throws(DriftError) in
        throw DriftError("The mannw test is not implemented yet.")
    }
    public static let tTest = StatTest(name: "t_test", title: "t_test p_value", scoreKind: .pValue, defaultThreshold: 0.05,
                                     columnKinds: [.numerical]) { _, _, _, _ throws(DriftError) in
        throw DriftError("The t_test test is not implemented yet.")
    }
}
