import Foundation

/// What one CSV cell is, by pandas' `read_csv` rules (C parser, default options).
enum CellClass: UInt8 {
    /// Empty or one of pandas' default `na_values`.
    case missing
    /// `[+-]digits` that fits Int64.
    case integer
    /// Any other number, including `inf`/`Infinity` and integers too large for Int64.
    case float
    /// `True`/`TRUE`/`true`/`False`/`FALSE`/`false` (pandas' default true/false values).
    case boolean
    case string
}

enum CellClassifier {
    /// pandas' `STR_NA_VALUES` (pandas 2.x), byte for byte. Matched case-sensitively, as pandas does.
    static let naSpellings: Set<[UInt8]> = Set([
        "-1.#IND", "1.#QNAN", "1.#IND", "-1.#QNAN", "#N/A N/A", "#N/A", "N/A", "n/a", "NA", "<NA>", "#NA",
        "NULL", "null", "NaN", "-NaN", "nan", "-nan", "None",
    ].map { Array($0.utf8) })

    static let trueSpellings: Set<[UInt8]> = Set(["True", "TRUE", "true"].map { Array($0.utf8) })
    static let falseSpellings: Set<[UInt8]> = Set(["False", "FALSE", "false"].map { Array($0.utf8) })
    /// Compared lowercased; pandas' float parser takes these case-insensitively.
    static let infinitySpellings: Set<[UInt8]> = Set(["inf", "+inf", "-inf", "infinity", "+infinity", "-infinity"]
        .map { Array($0.utf8) })

    static func classify(_ cell: UnsafeBufferPointer<UInt8>) -> CellClass {
        if cell.isEmpty { return .missing }
        // No NA spelling parses as a number, so numbers (most cells) skip the NA lookup.
        if let numeric = numberClass(cell) { return numeric }
        if cell.count <= 8, isNAStart(cell[0]), naList.contains(where: { equal(cell, $0) }) { return .missing }
        if cell.count <= 5, boolList.contains(where: { equal(cell, $0) }) { return .boolean }
        return .string
    }

    private static let naList = Array(naSpellings)
    private static let boolList = Array(trueSpellings) + Array(falseSpellings)

    private static func equal(_ cell: UnsafeBufferPointer<UInt8>, _ spelling: [UInt8]) -> Bool {
        guard cell.count == spelling.count else { return false }
        for index in 0..<spelling.count where cell[index] != spelling[index] { return false }
        return true
    }

    /// `true` for a boolean cell's true spelling (the caller knows the cell is boolean).
    static func isTrue(_ cell: UnsafeBufferPointer<UInt8>) -> Bool {
        cell.first == UInt8(ascii: "T") || cell.first == UInt8(ascii: "t")
    }

    private static func isNAStart(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "#"), UInt8(ascii: "-"), UInt8(ascii: "1"), UInt8(ascii: "<"), UInt8(ascii: "N"),
             UInt8(ascii: "n"): return true
        default: return false
        }
    }

    private static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }

    /// The number class of a cell, or nil when it is not a number. Leading and trailing spaces are
    /// allowed, as pandas' converters skip them.
    static func numberClass(_ cell: UnsafeBufferPointer<UInt8>) -> CellClass? {
        var start = 0, end = cell.count
        while start < end, isSpace(cell[start]) { start += 1 }
        while end > start, isSpace(cell[end - 1]) { end -= 1 }
        if start == end { return nil }
        var index = start
        if cell[index] == UInt8(ascii: "+") || cell[index] == UInt8(ascii: "-") { index += 1 }
        let integerStart = index
        while index < end, cell[index] &- 0x30 < 10 { index += 1 }
        let integerDigits = index - integerStart
        if index == end {
            guard integerDigits > 0 else { return nil }
            return fitsInt64(cell, from: start, to: end) ? .integer : .float
        }
        var fractionDigits = 0
        if cell[index] == UInt8(ascii: ".") {
            index += 1
            let fractionStart = index
            while index < end, cell[index] &- 0x30 < 10 { index += 1 }
            fractionDigits = index - fractionStart
        }
        if integerDigits + fractionDigits == 0 {
            return isInfinity(cell, from: start, to: end) ? .float : nil
        }
        if index < end, cell[index] | 0x20 == UInt8(ascii: "e") {
            index += 1
            if index < end, cell[index] == UInt8(ascii: "+") || cell[index] == UInt8(ascii: "-") { index += 1 }
            let exponentStart = index
            while index < end, cell[index] &- 0x30 < 10 { index += 1 }
            if index == exponentStart { return nil }
        }
        return index == end ? .float : nil
    }

    private static func isInfinity(_ cell: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int) -> Bool {
        guard end - start <= 9 else { return false }
        return infinitySpellings.contains(cell[start..<end].map { $0 | 0x20 })
    }

    private static func fitsInt64(_ cell: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int) -> Bool {
        var index = start
        let negative = cell[index] == UInt8(ascii: "-")
        if cell[index] == UInt8(ascii: "-") || cell[index] == UInt8(ascii: "+") { index += 1 }
        while index < end - 1, cell[index] == UInt8(ascii: "0") { index += 1 }
        let digits = end - index
        if digits < 19 { return true }
        if digits > 19 { return false }
        let limit = Array((negative ? "9223372036854775808" : "9223372036854775807").utf8)
        for offset in 0..<19 {
            let digit = cell[index + offset], bound = limit[offset]
            if digit != bound { return digit < bound }
        }
        return true
    }
}

/// Decimal text to Double: exact for the common case (≤ 19 significant digits, power of ten ≤ 22,
/// Clinger's fast path), `strtod` otherwise, so results are correctly rounded.
enum NumberParser {
    private static let powersOfTen: [Double] = (0...22).map { exponent in
        var value = 1.0
        for _ in 0..<exponent { value *= 10 }
        return value
    }

    static func parse(_ cell: UnsafeBufferPointer<UInt8>) -> Double? {
        var start = 0, end = cell.count
        while start < end, cell[start] == 0x20 || cell[start] == 0x09 { start += 1 }
        while end > start, cell[end - 1] == 0x20 || cell[end - 1] == 0x09 { end -= 1 }
        guard start < end else { return nil }
        var index = start
        var negative = false
        if cell[index] == UInt8(ascii: "-") { negative = true; index += 1 } else if cell[index] == UInt8(ascii: "+") { index += 1 }
        var mantissa: UInt64 = 0
        var significant = 0
        var exponent = 0
        var sawDigit = false
        while index < end, cell[index] &- 0x30 < 10 {
            sawDigit = true
            if significant < 19 {
                mantissa = mantissa * 10 + UInt64(cell[index] - 0x30)
                if mantissa != 0 { significant += 1 }
            } else {
                return slow(cell, start, end)
            }
            index += 1
        }
        if index < end, cell[index] == UInt8(ascii: ".") {
            index += 1
            while index < end, cell[index] &- 0x30 < 10 {
                sawDigit = true
                if significant < 19 {
                    mantissa = mantissa * 10 + UInt64(cell[index] - 0x30)
                    if mantissa != 0 { significant += 1 }
                    exponent -= 1
                } else {
                    return slow(cell, start, end)
                }
                index += 1
            }
        }
        guard sawDigit else { return slow(cell, start, end) }
        if index < end {
            guard cell[index] | 0x20 == UInt8(ascii: "e") else { return nil }
            index += 1
            var exponentNegative = false
            if index < end, cell[index] == UInt8(ascii: "-") { exponentNegative = true; index += 1 }
            else if index < end, cell[index] == UInt8(ascii: "+") { index += 1 }
            var written = 0
            var digits = 0
            while index < end, cell[index] &- 0x30 < 10 {
                if written < 100_000 { written = written * 10 + Int(cell[index] - 0x30) }
                digits += 1
                index += 1
            }
            guard digits > 0, index == end else { return nil }
            exponent += exponentNegative ? -written : written
        }
        if mantissa == 0 { return negative ? -0.0 : 0.0 }
        if mantissa < (1 << 53), abs(exponent) <= 22 {
            var value = Double(mantissa)
            value = exponent < 0 ? value / powersOfTen[-exponent] : value * powersOfTen[exponent]
            return negative ? -value : value
        }
        return slow(cell, start, end)
    }

    private static func slow(_ cell: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Double? {
        var text = Array(cell[start..<end])
        let lowered = text.map { $0 | 0x20 }
        if CellClassifier.infinitySpellings.contains(lowered) {
            return lowered.first == UInt8(ascii: "-") ? -.infinity : .infinity
        }
        text.append(0)
        return text.withUnsafeBufferPointer { buffer -> Double? in
            buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) { pointer in
                var stop: UnsafeMutablePointer<CChar>?
                let value = strtod(pointer, &stop)
                guard let stop, stop - UnsafeMutablePointer(mutating: pointer) == buffer.count - 1 else { return nil }
                return value
            }
        }
    }
}
