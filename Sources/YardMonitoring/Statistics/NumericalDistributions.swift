import Foundation

/// The distribution functions the numerical drift tests need, computed as SciPy 1.17 computes them
/// (same algorithm and branch points), so p-values agree with Evidently's to ~1e-12.
enum NumericalDistributions {
    /// Upper tail of the standard normal, P(Z > z) (SciPy's `ndtr(-z)`).
    static func normalSF(_ z: Double) -> Double {
        0.5 * erfc(z / 2.0.squareRoot())
    }

    /// Upper tail of Student's t with `df` degrees of freedom, P(T > t) (SciPy's `stdtr(df, -t)`).
    static func studentTSF(_ t: Double, df: Double) -> Double {
        if t.isNaN || df.isNaN || !(df > 0) { return .nan }
        if t == .infinity { return 0 }
        if t == -.infinity { return 1 }
        let tt = t * t
        // x = df/(df+t²) and 1-x computed apart so neither loses digits when the other is near 1.
        let tail = 0.5 * regularizedIncompleteBeta(a: df / 2, b: 0.5, x: df / (df + tt), y: tt / (df + tt))
        return t > 0 ? tail : 1 - tail
    }

    /// I_x(a, b) with y = 1 - x given separately; continued fraction (modified Lentz) on whichever side
    /// converges.
    static func regularizedIncompleteBeta(a: Double, b: Double, x: Double, y: Double) -> Double {
        if x <= 0 { return 0 }
        if y <= 0 { return 1 }
        if x > (a + 1) / (a + b + 2) {
            return 1 - regularizedIncompleteBeta(a: b, b: a, x: y, y: x)
        }
        let logFront = a * log(x) + b * log1p(-x) - (lgamma(a) + lgamma(b) - lgamma(a + b))
        let front = exp(logFront) / a
        let tiny = 1e-300
        var c = 1.0
        var d = 1.0 - (a + b) * x / (a + 1)
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var result = d
        for m in 1...100_000 {
            let mm = Double(m)
            let evenStep = mm * (b - mm) * x / ((a + 2 * mm - 1) * (a + 2 * mm))
            d = 1 + evenStep * d
            if abs(d) < tiny { d = tiny }
            c = 1 + evenStep / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            result *= d * c
            let oddStep = -(a + mm) * (a + b + mm) * x / ((a + 2 * mm) * (a + 2 * mm + 1))
            d = 1 + oddStep * d
            if abs(d) < tiny { d = tiny }
            c = 1 + oddStep / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            result *= delta
            if abs(delta - 1) < 1e-16 { break }
        }
        return front * result
    }

    /// K_ν(x), the modified Bessel function of the second kind, from K_ν(x) = ∫₀^∞ e^{-x cosh t} cosh(νt) dt
    /// by the trapezoid rule, which converges geometrically for this doubly-exponentially decaying
    /// analytic integrand (step 1/32 leaves an error far below double precision).
    static func besselK(nu: Double, x: Double) -> Double {
        if x.isNaN { return .nan }
        if x <= 0 { return .infinity }
        let step = 1.0 / 32
        var total = 0.5 * exp(-x)
        var t = step
        while true {
            let term = exp(-x * cosh(t)) * cosh(nu * t)
            total += term
            if term < total * 1e-18 || term == 0 { break }
            t += step
        }
        return total * step
    }

    // MARK: Two-sided one-sample Kolmogorov–Smirnov distribution (SciPy's kstwo / kolmogn)

    /// P(D_n > x), SciPy's `kstwo.sf(x, n)`: Simard & L'Ecuyer's choice between the exact Durbin matrix,
    /// Pomeranz recursion, Pelz–Good asymptotic and the one-sided Smirnov formula, with SciPy's cut points.
    static func kolmogorovTwoSidedSF(n: Int, x: Double) -> Double {
        guard n > 0, !x.isNaN else { return .nan }
        if x >= 1 { return 0 }
        if x <= 0 { return 1 }
        let nd = Double(n)
        let t = nd * x
        if t <= 1 {
            if t <= 0.5 { return 1 }
            let prob: Double
            if n <= 140 {
                var product = 1.0
                for i in 1...n { product *= Double(i) * (1.0 / nd) * (2 * t - 1) }
                prob = product
            } else {
                prob = exp(logFactorialOverPower(n) + nd * log(2 * t - 1))
            }
            return clip(1 - prob)
        }
        if t >= nd - 1 { return clip(2 * pow(1 - x, nd)) }
        if x >= 0.5 { return clip(2 * smirnovSF(n: n, x: x)) }
        let nxSquared = t * x
        if n <= 140 {
            if nxSquared <= 0.754693 { return clip(1 - durbinMatrixCDF(n: n, d: x)) }
            if nxSquared <= 4 { return clip(1 - pomeranzCDF(n: n, x: x)) }
            return clip(2 * smirnovSF(n: n, x: x))
        }
        if nxSquared >= 370 { return 0 }
        if nxSquared >= 2.2 { return clip(2 * smirnovSF(n: n, x: x)) }
        let cdf: Double
        if nxSquared >= 18 {
            cdf = 1
        } else if n <= 100_000, nd * pow(x, 1.5) <= 1.4 {
            cdf = durbinMatrixCDF(n: n, d: x)
        } else {
            cdf = pelzGoodCDF(n: n, x: x)
        }
        return clip(1 - clip(cdf))
    }

    static func clip(_ p: Double) -> Double {
        if p.isNaN { return p }
        return min(max(p, 0), 1)
    }

    /// log(n! / n^n) by Stirling's series.
    private static func logFactorialOverPower(_ n: Int) -> Double {
        let coefficients = [-2.955065359477124183e-2, 6.4102564102564102564e-3,
                            -1.9175269175269175269e-3, 8.4175084175084175084e-4,
                            -5.952380952380952381e-4, 7.9365079365079365079e-4,
                            -2.7777777777777777778e-3, 8.3333333333333333333e-2]
        let nd = Double(n)
        let rn = 1.0 / nd
        let z = rn / nd
        var series = 0.0
        for coefficient in coefficients { series = series * z + coefficient }
        return log(nd) / 2 - nd + log(2 * Double.pi) / 2 + rn * series
    }

    /// One-sided Smirnov: P(D+_n > x) by the Birnbaum–Tingey sum (all terms positive).
    static func smirnovSF(n: Int, x: Double) -> Double {
        if x >= 1 { return 0 }
        if x <= 0 { return 1 }
        let nd = Double(n)
        let last = Int((nd * (1 - x)).rounded(.down))
        var logBinomial = 0.0
        var total = 0.0
        let logX = log(x)
        for v in 0...max(last, 0) {
            let vd = Double(v)
            let at = x + vd / nd
            let rest = 1 - at
            if rest > 0 {
                let logTerm = logBinomial + logX + (vd - 1) * log(at) + (nd - vd) * log(rest)
                if logTerm > -745 { total += exp(logTerm) }
            }
            logBinomial += log((nd - vd) / (vd + 1))
        }
        return total
    }

    private static let scaleUp = 0x1p128
    private static let scaleDown = 0x1p-128

    /// P(D_n ≤ d) by Durbin's matrix method as Marsaglia, Tsang & Wang compute it.
    static func durbinMatrixCDF(n: Int, d: Double) -> Double {
        if d >= 1 { return 1 }
        let nd = Double(n) * d
        if nd <= 0.5 { return 0 }
        let k = Int(nd.rounded(.up))
        let h = Double(k) - nd
        let m = 2 * k - 1
        var v = [Double](repeating: 0, count: m)
        var w = [Double](repeating: 0, count: m)
        var factorial = 1.0
        for j in 1...m {
            w[j - 1] = factorial
            factorial /= Double(j)
            v[j - 1] = (1 - pow(h, Double(j))) * factorial
        }
        let tt = pow(max(2 * h - 1, 0), Double(m)) - 2 * pow(h, Double(m))
        v[m - 1] = (1 + tt) * factorial
        var matrix = SquareMatrix(size: m)
        for column in 1..<max(m, 1) {
            for row in (column - 1)..<m { matrix[row, column] = w[row - column + 1] }
        }
        for row in 0..<m { matrix[row, 0] = v[row] }
        for column in 0..<m { matrix[m - 1, column] = v[m - 1 - column] }
        var power = SquareMatrix.identity(size: m)
        var exponent = 0
        var matrixExponent = 0
        var remaining = n
        while remaining > 0 {
            if remaining % 2 == 1 {
                power = power * matrix
                exponent += matrixExponent
            }
            matrix = matrix * matrix
            matrixExponent *= 2
            if abs(matrix[k - 1, k - 1]) > scaleUp {
                matrix.scale(by: scaleDown)
                matrixExponent += 128
            }
            remaining /= 2
        }
        var p = power[k - 1, k - 1]
        for i in 1...n {
            p = Double(i) * p / Double(n)
            if abs(p) < scaleDown {
                p *= scaleUp
                exponent -= 128
            }
        }
        if exponent != 0 { p = scalbn(p, exponent) }
        return clip(p)
    }

    /// P(D_n ≤ x) by Pomeranz's recursion.
    static func pomeranzCDF(n: Int, x: Double) -> Double {
        let t = Double(n) * x
        let whole = Int(t.rounded(.down))
        let fraction = t - Double(whole)
        let g = min(fraction, 1 - fraction)
        let ceilF = fraction > 0 ? 1 : 0
        let roundF = fraction > 0.5 ? 1 : 0
        let powerCount = 2 * (whole + 1)
        var gPower = [Double](repeating: 1, count: powerCount)
        var twoGPower = [Double](repeating: 1, count: powerCount)
        var oneMinusTwoGPower = [Double](repeating: 1, count: powerCount)
        let gOverN = g / Double(n), twoGOverN = 2 * g / Double(n), oneMinusTwoGOverN = (1 - 2 * g) / Double(n)
        for m in 1..<powerCount {
            gPower[m] = gPower[m - 1] * gOverN / Double(m)
            twoGPower[m] = twoGPower[m - 1] * twoGOverN / Double(m)
            oneMinusTwoGPower[m] = oneMinusTwoGPower[m - 1] * oneMinusTwoGOverN / Double(m)
        }
        func bounds(_ i: Int) -> (Int, Int) {
            var j1: Int, j2: Int
            if i == 0 {
                j1 = -whole - ceilF - 1; j2 = whole + ceilF - 1
            } else {
                let half = (i + 1) / 2
                if (i + 1) % 2 == 0 {
                    if half == n + 1 {
                        j1 = n - whole - ceilF - 1; j2 = n + whole + ceilF - 1
                    } else {
                        j1 = half - 1 - whole - roundF - 1; j2 = half + whole - 1 + ceilF - 1
                    }
                } else {
                    j1 = half - 1 - whole - 1; j2 = half + whole + roundF - 1
                }
            }
            return (max(j1 + 2, 0), min(j2, n))
        }
        var previous = [Double](repeating: 0, count: powerCount)
        var current = [Double](repeating: 0, count: powerCount)
        current[0] = 1
        var previousStart = 0, currentStart = 0
        var exponent = 0
        var (j1, j2) = bounds(0)
        for i in 1...(2 * n + 1) {
            let k1 = j1
            swap(&previous, &current)
            swap(&previousStart, &currentStart)
            for index in current.indices { current[index] = 0 }
            (j1, j2) = bounds(i)
            let powers = (i == 1 || i == 2 * n + 1) ? gPower : (i % 2 == 1 ? twoGPower : oneMinusTwoGPower)
            let length = j2 - k1 + 1
            if length > 0 {
                let offset = k1 - previousStart
                let aCount = max(0, min(length, powerCount - offset))
                let bCount = min(length, powerCount)
                let convStart = j1 - k1
                let convLength = j2 - j1 + 1
                for out in 0..<convLength {
                    let index = convStart + out
                    var sum = 0.0
                    let lo = max(0, index - bCount + 1), hi = min(index, aCount - 1)
                    if lo <= hi {
                        for a in lo...hi { sum += previous[offset + a] * powers[index - a] }
                    }
                    current[out] = sum
                }
                let largest = current.max() ?? 0
                if largest > 0 && largest < scaleDown {
                    for index in current.indices { current[index] *= scaleUp }
                    exponent -= 128
                }
                currentStart = previousStart + j1 - k1
            }
        }
        var answer = current[n - currentStart]
        for m in 1...n {
            if abs(answer) > scaleUp {
                answer *= scaleDown
                exponent += 128
            }
            answer *= Double(m)
        }
        if exponent != 0 { answer = scalbn(answer, exponent) }
        return clip(answer)
    }

    /// Pelz–Good asymptotic series for P(D_n ≤ x).
    static func pelzGoodCDF(n: Int, x: Double) -> Double {
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        let pi2 = Double.pi * Double.pi, pi4 = pi2 * pi2, pi6 = pi4 * pi2
        let sqrt2Pi = (2 * Double.pi).squareRoot()
        let z = Double(n).squareRoot() * x
        let z2 = z * z, z3 = z2 * z, z4 = z2 * z2, z6 = z4 * z2
        let qLog = -pi2 / 8 / z2
        if qLog < -708 { return 0 }
        var q = exp(qLog)
        let k1a = -z2, k1b = pi2 / 4
        let k2a = 6 * z6 + 2 * z4
        let k2b = (2 * z4 - 5 * z2) * pi2 / 4
        let k2c = pi4 * (1 - 2 * z2) / 16
        let k3d = pi6 * (5 - 30 * z2) / 64
        let k3c = pi4 * (-60 * z2 + 212 * z4) / 16
        let k3b = pi2 * (135 * z4 - 96 * z6) / 4
        let k3a = -30 * z6 - 90 * pow(z, 8)
        var terms = [0.0, 0.0, 0.0, 0.0]
        let maxK = Int((16 * z / Double.pi).rounded(.up))
        if maxK >= 1 {
            for k in stride(from: maxK, through: 1, by: -1) {
                let m = Double(2 * k - 1)
                let m2 = m * m, m4 = m2 * m2, m6 = m4 * m2
                let qPower = pow(q, Double(8 * k))
                let coefficients = [1.0, k1a + k1b * m2, k2a + k2b * m2 + k2c * m4,
                                    k3a + k3b * m2 + k3c * m4 + k3d * m6]
                for i in 0..<4 { terms[i] = terms[i] * qPower + coefficients[i] }
            }
        }
        let divisors = [z, 6 * z4, 72 * pow(z, 7), 6480 * pow(z, 10)]
        for i in 0..<4 { terms[i] = terms[i] * q * sqrt2Pi / divisors[i] }
        q = exp(-pi2 / 2 / z2)
        var k2Extra = 0.0, k3Extra = 0.0
        let sqrt3z = 3.0.squareRoot() * z
        if maxK >= 1 {
            for k in stride(from: maxK, through: 1, by: -1) {
                let kd = Double(k)
                let qPower = pow(q, kd * kd)
                k2Extra += kd * kd * qPower
                let kPi = Double.pi * kd
                k3Extra += (sqrt3z + kPi) * (sqrt3z - kPi) * kd * kd * qPower
            }
        }
        terms[2] += k2Extra * pi2 * sqrt2Pi / (-36 * z3)
        terms[3] += k3Extra * pi2 * sqrt2Pi / (216 * z6)
        var total = 0.0
        for i in 0..<4 { total += terms[i] / pow(Double(n), Double(i) / 2) }
        return total
    }
}

/// A small dense square matrix for the Durbin method's powers.
struct SquareMatrix {
    let size: Int
    var storage: [Double]

    init(size: Int) {
        self.size = size
        storage = [Double](repeating: 0, count: size * size)
    }

    static func identity(size: Int) -> SquareMatrix {
        var matrix = SquareMatrix(size: size)
        for i in 0..<size { matrix[i, i] = 1 }
        return matrix
    }

    subscript(row: Int, column: Int) -> Double {
        get { storage[row * size + column] }
        set { storage[row * size + column] = newValue }
    }

    mutating func scale(by factor: Double) {
        for i in storage.indices { storage[i] *= factor }
    }

    static func * (lhs: SquareMatrix, rhs: SquareMatrix) -> SquareMatrix {
        let n = lhs.size
        var result = SquareMatrix(size: n)
        lhs.storage.withUnsafeBufferPointer { a in
            rhs.storage.withUnsafeBufferPointer { b in
                result.storage.withUnsafeMutableBufferPointer { c in
                    for i in 0..<n {
                        for k in 0..<n {
                            let aik = a[i * n + k]
                            if aik == 0 { continue }
                            for j in 0..<n { c[i * n + j] += aik * b[k * n + j] }
                        }
                    }
                }
            }
        }
        return result
    }
}
