import Foundation

/// SciPy's `ks_2samp(a, b)` (two-sided, method 'auto') on sorted samples.
enum KolmogorovSmirnov {
    /// Samples this size or smaller on both sides get the exact p-value, as SciPy's 'auto' decides.
    static let exactLimit = 10_000

    static func twoSample(_ a: [Double], _ b: [Double]) -> (statistic: Double, pValue: Double) {
        let n1 = a.count, n2 = b.count
        var d = largestECDFGap(a, b)
        let g = gcd(n1, n2)
        var probability = Double.nan
        var exactWorked = false
        if max(n1, n2) <= exactLimit {
            let lcm = (n1 / g) * n2
            let h = Int((d * Double(lcm)).rounded(.toNearestOrEven))
            d = Double(h) / Double(lcm)
            if h == 0 {
                probability = 1
            } else if n1 == n2 {
                probability = outsideSquareProbability(n: n1, h: h)
            } else {
                probability = outsideBandProbability(n1, n2, g: g, h: h)
            }
            exactWorked = probability >= 0 && probability <= 1
        }
        if !exactWorked {
            // SciPy's fallback: Smirnov's limit via kstwo at the rounded effective size.
            let larger = Double(max(n1, n2)), smaller = Double(min(n1, n2))
            let effective = (larger * smaller / (larger + smaller)).rounded(.toNearestOrEven)
            probability = NumericalDistributions.kolmogorovTwoSidedSF(n: Int(effective), x: d)
        }
        return (d, NumericalDistributions.clip(probability))
    }

    /// max |F_a − F_b| over the pooled values, with the ECDF differences formed exactly as SciPy forms
    /// them (i/n1 − j/n2 in double), so the statistic matches to the last bit.
    static func largestECDFGap(_ a: [Double], _ b: [Double]) -> Double {
        let n1 = Double(a.count), n2 = Double(b.count)
        var i = 0, j = 0
        var largest = -Double.infinity, smallest = Double.infinity
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                while i < a.count || j < b.count {
                    let value: Double
                    if j >= b.count || (i < a.count && a[i] <= b[j]) { value = a[i] } else { value = b[j] }
                    while i < a.count && a[i] == value { i += 1 }
                    while j < b.count && b[j] == value { j += 1 }
                    let gap = Double(i) / n1 - Double(j) / n2
                    if gap > largest { largest = gap }
                    if gap < smallest { smallest = gap }
                }
            }
        }
        let below = min(max(-smallest, 0), 1)
        return below > largest ? below : largest
    }

    /// P(D_{n,n} ≥ h/n) for equal sizes, Hodges' alternating series folded Horner-style.
    static func outsideSquareProbability(n: Int, h: Int) -> Double {
        var total = 0.0
        var k = n / h
        while k >= 0 {
            var factor = 1.0
            for j in 0..<h {
                factor = Double(n - k * h - j) * factor / Double(n + k * h + j + 1)
            }
            total = factor * (1 - total)
            k -= 1
        }
        return 2 * total
    }

    /// P(D_{m,n} ≥ h/lcm) for unequal sizes: lattice paths leaving the band |x/m − y/n| < h/lcm, counted
    /// column by column as a proportion (Viehmann's stable recursion for 1 − p, as SciPy runs it).
    static func outsideBandProbability(_ first: Int, _ second: Int, g: Int, h: Int) -> Double {
        let m = max(first, second), n = min(first, second)
        let mg = m / g, ng = n / g
        var minJ = 0
        var maxJ = min(Int((Double(h) / Double(mg)).rounded(.up)), n + 1)
        var currentLength = maxJ - minJ
        let length = min(2 * maxJ + 2, n + 1)
        var column = [Double](repeating: 1, count: length)
        for index in minJ..<maxJ where index < length { column[index] = 0 }
        return column.withUnsafeMutableBufferPointer { column -> Double in
            for i in 1...m {
                let lastMinJ = minJ, lastLength = currentLength
                minJ = max(Int((Double(ng * i - h) / Double(mg)).rounded(.down)) + 1, 0)
                minJ = min(minJ, n)
                maxJ = min(Int((Double(ng * i + h) / Double(mg)).rounded(.up)), n + 1)
                if maxJ <= minJ { return 1 }
                var value = minJ == 0 ? 0.0 : 1.0
                let di = Double(i)
                for jj in 0..<(maxJ - minJ) {
                    let j = Double(jj + minJ)
                    value = (column[jj + minJ - lastMinJ] * di + value * j) / (di + j)
                    column[jj] = value
                }
                currentLength = maxJ - minJ
                if lastLength > currentLength {
                    let start = maxJ - minJ
                    let end = min(start + (lastLength - currentLength), column.count)
                    if start < end { for index in start..<end { column[index] = 1 } }
                }
            }
            return column[maxJ - minJ - 1]
        }
    }

    static func gcd(_ a: Int, _ b: Int) -> Int {
        var x = a, y = b
        while y != 0 { (x, y) = (y, x % y) }
        return x
    }
}
