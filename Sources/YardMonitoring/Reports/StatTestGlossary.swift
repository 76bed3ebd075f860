/// One-line meanings of the drift tests, for the HTML report's "how to read this" note.
enum StatTestGlossary {
    static func meaning(of test: String) -> String? {
        switch test {
        case "ks": return "Two-sample Kolmogorov–Smirnov test: the largest gap between the two cumulative distributions."
        case "chisquare": return "Pearson's chi-square test: the current category counts against the proportions seen in the reference."
        case "z": return "Two-proportion Z-test: whether the share of a category changed (columns with two categories)."
        case "jensenshannon": return "Jensen–Shannon distance between the binned distributions: 0 when they are the same, 1 when they do not overlap."
        case "wasserstein": return "Wasserstein (earth mover's) distance, in units of the reference's standard deviation: how far values moved."
        case "kl_div": return "Kullback–Leibler divergence between the binned distributions (0 when they are the same, unbounded)."
        case "psi": return "Population Stability Index over bins: the sum of (current − reference) × ln(current / reference) of the bin shares."
        case "ed": return "Energy distance between the two samples: grows as they separate in location or shape."
        case "t_test": return "Student's t-test (pooled variance): whether the means differ."
        case "mannw": return "Mann–Whitney U test: whether values of one sample tend to be larger than the other's."
        case "anderson": return "k-sample Anderson–Darling test: like Kolmogorov–Smirnov, with more weight on the tails."
        case "cramer_von_mises": return "Cramér–von Mises test: the squared gaps between the two cumulative distributions, summed over the values."
        case "hellinger": return "Hellinger distance between the binned distributions, from 0 (same) to 1 (no overlap)."
        case "fisher_exact": return "Fisher's exact test on the 2×2 table of counts (columns with two categories)."
        case "g_test": return "G-test (log-likelihood ratio) on the category counts."
        default: return nil
        }
    }
}
