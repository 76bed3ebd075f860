import Foundation
import Testing
import YardJSON
@testable import YardMonitoring

/// Column typing, the default test table and the drift engine end to end on real files with the real
/// statistical tests.
@Suite("Drift engine")
struct DriftEngineTests {
    static func column(_ type: ValueType, numbers: [Double], missing: Int = 0, name: String = "c") -> LoadedColumn {
        LoadedColumn(name: name, valueType: type, sample: ColumnSample(numbers: numbers, missing: missing))
    }

    static func column(strings: [String], missing: Int = 0, name: String = "c") -> LoadedColumn {
        LoadedColumn(name: name, valueType: .string,
                     sample: ColumnSample(counts: Dictionary(strings.map { (CategoryValue.text($0), 1) }, uniquingKeysWith: +), missing: missing))
    }

    @Test("Evidently's kind inference")
    func inference() {
        let ten = Self.column(.integer, numbers: (0..<30).map { Double($0 % 10) })
        let eleven = Self.column(.integer, numbers: (0..<30).map { Double($0 % 11) })
        #expect(ColumnTyping.inferredKind(of: ten) == .tested(.categorical))
        #expect(ColumnTyping.inferredKind(of: eleven) == .tested(.numerical))
        #expect(ColumnTyping.inferredKind(of: Self.column(.float, numbers: [1, 1, 1])) == .tested(.numerical))
        #expect(ColumnTyping.inferredKind(of: Self.column(.boolean, numbers: [0, 1, 1])) == .tested(.categorical))
        guard case .skipped(let reason) = ColumnTyping.inferredKind(of: Self.column(.boolean, numbers: [0, 1], missing: 1)) else {
            Issue.record("a boolean column with missing cells must be skipped")
            return
        }
        #expect(reason.contains("untyped object column"))
        // 3 distinct of 6 is not more than half: categorical; 4 of 6 is text.
        #expect(ColumnTyping.inferredKind(of: Self.column(strings: ["a", "a", "b", "b", "c", "c"])) == .tested(.categorical))
        let text = Self.column(strings: ["a", "b", "c", "d", "d", "d"].enumerated().map { $0.offset < 4 ? "w\($0.offset)" : $0.element })
        guard case .skipped(let textReason) = ColumnTyping.inferredKind(of: text) else {
            Issue.record("a mostly-distinct string column is text")
            return
        }
        #expect(textReason.hasPrefix("text column (5 distinct values in 6)"))
        #expect(ColumnTyping.inferredKind(of: Self.column(.empty, numbers: [], missing: 3)) == .skipped("every value is missing in the current data"))
    }

    @Test("the current data's inference wins; the mapping overrides it")
    func currentDecides() {
        let reference = Self.column(.integer, numbers: (0..<50).map(Double.init), name: "n")
        let current = Self.column(.integer, numbers: (0..<50).map { Double($0 % 5) }, name: "n")
        #expect(ColumnTyping.decide(column: "n", reference: reference, current: current, mapping: ColumnMapping()) == .tested(.categorical))
        #expect(ColumnTyping.decide(column: "n", reference: current, current: reference, mapping: ColumnMapping()) == .tested(.numerical))
        var mapping = ColumnMapping()
        mapping.numerical = ["n"]
        #expect(ColumnTyping.decide(column: "n", reference: reference, current: current, mapping: mapping) == .tested(.numerical))
        mapping.numerical = []
        mapping.text = ["n"]
        #expect(ColumnTyping.decide(column: "n", reference: reference, current: current, mapping: mapping)
                == .skipped("text column (by the column mapping); text drift is not tested"))
        mapping.text = []
        mapping.numerical = ["s"]
        let strings = Self.column(strings: ["a", "a", "b"], name: "s")
        guard case .skipped(let reason) = ColumnTyping.decide(column: "s", reference: strings, current: Self.column(.float, numbers: [1, 2], name: "s"), mapping: mapping) else {
            Issue.record("numerical over text values must be skipped")
            return
        }
        #expect(reason.hasPrefix("numerical, but the reference data holds text values"))
    }

    @Test("Evidently's default test table")
    func defaultTests() {
        func sample(_ count: Int, distinct: Int, offset: Double = 0) -> ColumnSample {
            ColumnSample(numbers: (0..<count).map { Double($0 % distinct) + offset })
        }
        func choose(_ reference: ColumnSample, _ current: ColumnSample, _ kind: ColumnKind) -> String {
            DefaultStatTest.choose(reference: reference, current: current, kind: kind).name
        }
        // n_ref = 1000 is still "small"; 1001 is large.
        #expect(choose(sample(1000, distinct: 6), sample(10, distinct: 2), .numerical) == "ks")
        #expect(choose(sample(1001, distinct: 6), sample(10, distinct: 2), .numerical) == "wasserstein")
        #expect(choose(sample(1000, distinct: 5), sample(10, distinct: 5), .numerical) == "chisquare")
        #expect(choose(sample(1000, distinct: 3), sample(10, distinct: 2), .numerical) == "chisquare")
        #expect(choose(sample(1000, distinct: 2), sample(10, distinct: 2), .numerical) == "z")
        // The union counts: 3 + 3 shifted values make 6 distinct.
        #expect(choose(sample(1000, distinct: 3), sample(10, distinct: 3, offset: 3), .numerical) == "ks")
        #expect(choose(sample(5000, distinct: 5), sample(10, distinct: 2), .numerical) == "jensenshannon")
        #expect(choose(sample(5000, distinct: 2), sample(10, distinct: 2), .numerical) == "jensenshannon")
        #expect(choose(sample(1000, distinct: 9), sample(10, distinct: 2), .categorical) == "chisquare")
        #expect(choose(sample(1000, distinct: 2), sample(10, distinct: 2), .categorical) == "z")
        #expect(choose(sample(1001, distinct: 2), sample(10, distinct: 2), .categorical) == "jensenshannon")
        let strings = ColumnSample(counts: [.text("a"): 600, .text("b"): 400])
        #expect(choose(strings, ColumnSample(counts: [.text("c"): 3]), .categorical) == "chisquare")
    }

    @Test("histograms: 10 equal-width bins over both sides; top 20 categories and other")
    func histograms() {
        let reference = Self.column(.float, numbers: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
        let current = Self.column(.float, numbers: [5, 10, 10, 10])
        guard let numeric = ColumnHistograms.histogram(reference: reference, current: current, kind: .numerical),
              case .numeric(let edges) = numeric.bins else {
            Issue.record("expected numeric bins")
            return
        }
        #expect(edges == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
        #expect(numeric.reference == [0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1])
        #expect(numeric.current == [0, 0, 0, 0, 0, 0.25, 0, 0, 0, 0.75])
        let constant = ColumnHistograms.histogram(reference: Self.column(.float, numbers: [2, 2]), current: Self.column(.float, numbers: [2]), kind: .numerical)
        if case .numeric(let constantEdges)? = constant?.bins {
            #expect(constantEdges.first == 1.5)
            #expect(constantEdges.last == 2.5)
            #expect(constantEdges.count == 11)
        } else {
            Issue.record("a constant column still gets numeric bins")
        }
        #expect(constant?.reference[5] == 1)

        let many = Self.column(strings: (0..<25).flatMap { index in Array(repeating: "k\(index)", count: 30 - index) })
        let categorical = ColumnHistograms.histogram(reference: many, current: Self.column(strings: ["k0", "zz"]), kind: .categorical)
        guard case .categories(let labels)? = categorical?.bins else {
            Issue.record("expected categories")
            return
        }
        #expect(labels.count == 21)
        #expect(labels.first == "k0")
        #expect(labels.last == "other")
        #expect(abs((categorical?.reference.reduce(0, +) ?? 0) - 1) < 1e-12)
        #expect(categorical?.current.last == 0.5)
        let flags = ColumnHistograms.histogram(reference: Self.column(.boolean, numbers: [0, 1, 1]), current: Self.column(.boolean, numbers: [1]), kind: .categorical)
        #expect(flags?.bins == .categories(["True", "False"]))
    }

    static func implemented(_ names: [String]) -> Bool {
        names.allSatisfy { name in
            guard let test = StatTest.named(name) else { return false }
            do throws(DriftError) {
                _ = try test.evaluate(reference: ColumnSample(numbers: [1, 2, 3, 4, 5, 6, 1, 2]),
                                      current: ColumnSample(numbers: [2, 3, 4, 5, 6, 7, 2, 3]),
                                      kind: test.columnKinds.contains(.numerical) ? .numerical : .categorical)
                return true
            } catch {
                return !error.message.contains("not implemented")
            }
        }
    }

    /// Reference and current CSVs: `x` shifts by 3 standard deviations, `plan` keeps its shares,
    /// `flag` flips, `id` is ignored, `note` is text, `old` is only in the reference, `new` only in the
    /// current, `gone` is all missing in the current data.
    static func writeFiles(rows: Int) throws -> (String, String) {
        var generator = EngineFixtureRandom(seed: 42)
        func table(shift: Double, flagShare: Double, current: Bool) -> String {
            var lines = [current ? "id,x,plan,flag,note,gone,new" : "id,old,x,plan,flag,note,gone"]
            for row in 0..<rows {
                let x = Double.random(in: 0..<1, using: &generator) + Double.random(in: 0..<1, using: &generator) + shift
                let plan = ["free", "pro", "team"][row % 3]
                let flag = Double.random(in: 0..<1, using: &generator) < flagShare ? "True" : "False"
                let note = "\"note \(row), \(current)\""
                if current {
                    lines.append("\(row),\(x),\(plan),\(flag),\(note),,\(row % 4)")
                } else {
                    lines.append("\(row),\(row % 7),\(x),\(plan),\(flag),\(note),\(row % 5)")
                }
            }
            return lines.joined(separator: "\n") + "\n"
        }
        let reference = try ColumnReaderTests.write(table(shift: 0, flagShare: 0.2, current: false), name: "ref.csv")
        let current = try ColumnReaderTests.write(table(shift: 1.2, flagShare: 0.8, current: true), name: "cur.csv")
        return (reference, current)
    }

    @Test("end to end on CSV files with the real tests", .enabled(if: implemented(["ks", "wasserstein", "chisquare", "z", "jensenshannon"])))
    func endToEnd() async throws {
        let (referencePath, currentPath) = try Self.writeFiles(rows: 600)
        let reference = try openTable(path: referencePath)
        let current = try openTable(path: currentPath, label: "current.csv")
        var mapping = ColumnMapping()
        mapping.ignored = ["id"]
        mapping.target = "flag"
        let seen = ProgressLog()
        let report = try await DriftEngine.run(reference: reference, current: current, options: DriftOptions(mapping: mapping, maxConcurrentColumns: 2)) { name in
            seen.append(name)
        }
        #expect(report.reference == referencePath)
        #expect(report.current == "current.csv")
        #expect(report.referenceRows == 600)
        #expect(report.columns.map(\.column) == ["x", "plan", "flag"])
        let byName = Dictionary(uniqueKeysWithValues: report.columns.map { ($0.column, $0) })
        #expect(byName["x"]?.test == "ks")
        #expect(byName["x"]?.kind == .numerical)
        #expect(byName["x"]?.result.drifted == true)
        #expect(byName["plan"]?.test == "chisquare")
        #expect(byName["plan"]?.result.drifted == false)
        #expect(byName["plan"]?.result.score == 1)
        #expect(byName["flag"]?.role == .target)
        #expect(byName["flag"]?.test == "z")
        #expect(byName["flag"]?.result.drifted == true)
        #expect(byName["x"]?.referenceCount == 600)
        if case .numeric(let edges)? = byName["x"]?.histogram?.bins { #expect(edges.count == 11) } else { Issue.record("x needs numeric bins") }
        #expect(report.skipped.map(\.column) == ["id", "old", "note", "gone", "new"])
        let reasons = Dictionary(uniqueKeysWithValues: report.skipped.map { ($0.column, $0.reason) })
        #expect(reasons["id"] == "ignored by the column mapping")
        #expect(reasons["old"] == "only in the reference data (not in the current data)")
        #expect(reasons["note"]?.hasPrefix("text column (600 distinct values in 600)") == true)
        #expect(reasons["gone"] == "every value is missing in the current data")
        #expect(reasons["new"] == "only in the current data (not in the reference)")
        #expect(report.driftedCount == 2)
        #expect(report.datasetDrift)
        #expect(Set(seen.all) == ["id", "old", "x", "plan", "flag", "note", "gone"])
        #expect(seen.all.count == 7)
    }

    @Test("chosen tests and thresholds; a test that cannot run skips its column",
          .enabled(if: implemented(["psi", "ks", "fisher_exact", "wasserstein"])))
    func choicesAndFailures() async throws {
        let (referencePath, currentPath) = try Self.writeFiles(rows: 300)
        let reference = try openTable(path: referencePath)
        let current = try openTable(path: currentPath)
        let options = DriftOptions(stattest: "psi", perColumnStattest: ["plan": "fisher_exact", "flag": "ks"],
                                   threshold: 0.5, perColumnThreshold: ["x": 0.01])
        let report = try await DriftEngine.run(reference: reference, current: current, options: options)
        let byName = Dictionary(uniqueKeysWithValues: report.columns.map { ($0.column, $0) })
        #expect(byName["x"]?.test == "psi")
        #expect(byName["x"]?.result.threshold == 0.01)
        #expect(byName["id"]?.test == "psi")
        #expect(byName["id"]?.result.threshold == 0.5)
        let reasons = Dictionary(uniqueKeysWithValues: report.skipped.map { ($0.column, $0.reason) })
        #expect(reasons["plan"]?.hasPrefix("fisher_exact could not be computed: ") == true)
        #expect(reasons["flag"] == "the stattest 'ks' applies to numerical columns and this one is categorical; choose another under stattests")
        await #expect(throws: DriftError.self) {
            _ = try await DriftEngine.run(reference: reference, current: current, options: DriftOptions(stattest: "kss"))
        }
    }

    @Test("live windows and stored profiles feed the engine like files", .enabled(if: implemented(["z", "chisquare", "ks"])))
    func inMemorySources() async throws {
        var reference = RowTableBuilder()
        var current = RowTableBuilder()
        for row in 0..<200 {
            reference.append(row: [("plan", .string(row % 4 == 0 ? "pro" : "free")), ("age", .number("\(20 + row % 40)"))])
            current.append(row: [("age", .number("\(20 + row % 40)")), ("plan", .string(row % 4 == 0 ? "free" : "pro"))])
        }
        let profile = try ReferenceProfileCodec.decode(ReferenceProfileCodec.encode(reference.table(label: "ref")))
        let fromProfile = try await DriftEngine.run(reference: profile, current: current.source(label: "window"), options: DriftOptions())
        let fromRows = try await DriftEngine.run(reference: reference.source(label: "ref"), current: current.source(label: "window"), options: DriftOptions())
        #expect(fromProfile == fromRows)
        #expect(fromRows.columns.map(\.column) == ["plan", "age"])
        #expect(fromRows.columns.map(\.test) == ["z", "ks"])
        #expect(fromRows.columns.map(\.result.drifted) == [true, false])
    }

    @Test("extreme values are tested or skipped with a reason, never a crash", .enabled(if: implemented(["ks", "psi"])))
    func extremeValues() async throws {
        var reference = RowTableBuilder()
        var current = RowTableBuilder()
        for row in 0..<41 {
            // A span wider than the largest double, and a constant too large for half-unit padding.
            let wide = row == 0 ? "-1e308" : row == 1 ? "1e308" : "\(row).5"
            reference.append(row: [("wide", .number(wide)), ("huge", .number("1e17"))])
            current.append(row: [("wide", .number(wide)), ("huge", .number("1e17"))])
        }
        let byDefault = try await DriftEngine.run(reference: reference.source(label: "ref"), current: current.source(label: "cur"), options: DriftOptions())
        #expect(byDefault.columns.map(\.column).sorted() == ["huge", "wide"])
        #expect(byDefault.columns.allSatisfy { !$0.result.drifted })
        let binned = try await DriftEngine.run(reference: reference.source(label: "ref"), current: current.source(label: "cur"),
                                               options: DriftOptions(stattest: "psi"))
        #expect(binned.skipped.contains { $0.column == "wide" && $0.reason.contains("equal-width bins") })
        // Stored profiles of integers whose span is past 2^53 round-trip exactly.
        var profiled = RowTableBuilder()
        for value in ["-9007199254740991", "9007199254740991", "3"] { profiled.append(row: [("n", .number(value))]) }
        let table = profiled.table(label: "p")
        let decoded = try ReferenceProfileCodec.decode(ReferenceProfileCodec.encode(table))
        let original = try await table.load(column: "n"), restored = try await decoded.load(column: "n")
        #expect(original == restored)
    }
}

/// Deterministic data for the fixtures (SplitMix64).
private struct EngineFixtureRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }
}

private final class ProgressLog: @unchecked Sendable {
    private var names: [String] = []
    private let lock = NSLock()
    func append(_ name: String) {
        lock.lock()
        names.append(name)
        lock.unlock()
    }
    var all: [String] {
        lock.lock()
        defer { lock.unlock() }
        return names
    }
}
