extension StatTest {
    /// Every test, in the order reports list them.
    public static let all: [StatTest] = [
        .ks, .chiSquare, .z, .jensenShannon, .wasserstein, .klDiv, .psi, .energyDistance, .tTest, .mannWhitney,
        .anderson, .cramerVonMises, .hellinger, .fisherExact, .gTest,
    ]
}
