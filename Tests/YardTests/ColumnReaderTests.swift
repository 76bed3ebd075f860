import Foundation
import Testing
import YardJSON
@testable import YardMonitoring

/// The CSV and JSON-lines readers, the in-memory row builder, the reference profile codec and the
/// column mapping, on real temporary files.
@Suite("Column readers")
struct ColumnReaderTests {
    static func write(_ text: String, name: String = "data.csv") throws -> String {
        try write(Array(text.utf8), name: name)
    }

    static func write(_ bytes: [UInt8], name: String) throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("yard-reader-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent(name).path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    static func counts(_ column: LoadedColumn) -> [String: Int] {
        Dictionary(uniqueKeysWithValues: column.sample.categoryCounts().map { ($0.key.description, $0.value) })
    }

    static func failure(_ body: () throws -> Void) -> String {
        do {
            try body()
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    @Test("RFC 4180 quoting, CRLF rows, a BOM and an embedded newline")
    func quotingAndCRLF() async throws {
        let path = try Self.write("\u{FEFF}name,note,x\r\n\"Smith, J\",\"said \"\"hi\"\"\",1\r\n\"multi\nline\",plain,2\r\n\r\nbob,\"\",3")
        let table = try openTable(path: path)
        #expect(table.columnNames == ["name", "note", "x"])
        #expect(table.rowCount == 3)
        let name = try await table.load(column: "name")
        #expect(Self.counts(name) == ["Smith, J": 1, "multi\nline": 1, "bob": 1])
        let note = try await table.load(column: "note")
        #expect(Self.counts(note) == ["said \"hi\"": 1, "plain": 1])
        #expect(note.sample.missing == 1)
        let x = try await table.load(column: "x")
        #expect(x.valueType == .integer)
        #expect(x.sample.numbers == [1, 2, 3])
        #expect(table.label == path)
    }

    @Test("pandas' NA spellings are missing; inf is a float dropped as missing")
    func missingSpellings() async throws {
        let cells = ["1.5", "NA", "nan", "", "NULL", "None", "#N/A", "NaN", "-nan", "n/a", "<NA>", "inf", "-Infinity", "2"]
        let path = try Self.write("v,s\n" + cells.map { "\($0),\($0 == "1.5" ? "a" : $0)" }.joined(separator: "\n") + "\n")
        let table = try openTable(path: path)
        let v = try await table.load(column: "v")
        #expect(v.valueType == .float)
        #expect(v.sample.numbers == [1.5, 2])
        #expect(v.sample.missing == 12)
        let s = try await table.load(column: "s")
        #expect(s.valueType == .string)
        #expect(Self.counts(s) == ["a": 1, "inf": 1, "-Infinity": 1, "2": 1])
        #expect(s.sample.missing == 10)
    }

    @Test("value types follow pandas' dtypes")
    func valueTypes() async throws {
        let path = try Self.write("""
            int,intna,exp,bool,boolint,big,mixed,empty
            1,1,1e3,True,True,9223372036854775807,1,
            -2,,2,false,0,9223372036854775808,x,NA
            +3,3,3,FALSE,1,1,2.5,

            """)
        let table = try openTable(path: path)
        var types: [String: ValueType] = [:]
        for name in table.columnNames { types[name] = try await table.load(column: name).valueType }
        #expect(types == ["int": .integer, "intna": .float, "exp": .float, "bool": .boolean, "boolint": .string,
                          "big": .float, "mixed": .string, "empty": .empty])
        let bool = try await table.load(column: "bool")
        #expect(bool.sample.numbers == [0, 0, 1])
        let mixed = try await table.load(column: "mixed")
        #expect(Self.counts(mixed) == ["1": 1, "x": 1, "2.5": 1])
        #expect(try await table.load(column: "int").sample.numbers == [-2, 1, 3])
    }

    @Test("cells and rows split across read chunks parse the same as in one chunk")
    func chunkBoundaries() async throws {
        var text = "a,b,c\r\n"
        for row in 0..<200 {
            text += "\(row),\"q\"\"\(row)\nx\",\(Double(row) * 0.25)\r\n"
        }
        let path = try Self.write(text)
        let whole = try CSVReader.read(path: path, label: "whole")
        for chunk in [1, 2, 3, 7, 64] {
            let split = try CSVReader.read(path: path, label: "split", chunkSize: chunk)
            #expect(split.rowCount == 200)
            for name in ["a", "b", "c"] {
                let expected = try await whole.load(column: name)
                #expect(try await split.load(column: name) == expected, "chunk \(chunk), column \(name)")
            }
        }
    }

    @Test("ragged rows, unclosed quotes and bad UTF-8 are errors naming the file and line")
    func csvErrors() throws {
        let long = try Self.write("a,b\n1,2\n3,4,5\n")
        #expect(Self.failure { _ = try openTable(path: long) } == "\(long) line 3: more fields than the header's 2; check the quoting of that row.")
        let short = try Self.write("a,b\r\n1,2\r\n3,4\r\n5\r\n")
        #expect(Self.failure { _ = try openTable(path: short) } == "\(short) line 4: expected 2 fields as in the header, found 1.")
        let unclosed = try Self.write("a,b\n1,\"open\n2,3\n")
        #expect(Self.failure { _ = try openTable(path: unclosed) }.contains("line 2, column 2 ('b'): a quoted value is never closed"))
        let badUTF8 = try Self.write(Array("a,b\n1,ok\n2,".utf8) + [0xC3, 0x28] + Array("\n".utf8), name: "bad.csv")
        #expect(Self.failure { _ = try openTable(path: badUTF8) } == "\(badUTF8) line 3, column 2 ('b'): not valid UTF-8. Save the file as UTF-8.")
        let afterQuote = try Self.write("a\n\"x\"y\n")
        #expect(Self.failure { _ = try openTable(path: afterQuote) }.contains("line 2, column 1 ('a'): unexpected character after a closing quote"))
        let empty = try Self.write("")
        #expect(Self.failure { _ = try openTable(path: empty) }.contains("is empty"))
        #expect(Self.failure { _ = try openTable(path: "/nonexistent/x.csv") }.contains("Cannot open /nonexistent/x.csv"))
    }

    @Test("duplicate and empty header names are renamed as pandas does")
    func headerNames() throws {
        let path = try Self.write("a,,a,a\n1,2,3,4\n")
        #expect(try openTable(path: path).columnNames == ["a", "Unnamed: 1", "a.1", "a.2"])
    }

    @Test("JSON lines: keys in first-seen order, null and absent keys missing, kinds kept")
    func jsonLines() async throws {
        let path = try Self.write("""
            {"a": 1, "b": "x", "flag": true}

            {"b": "y", "a": null, "c": 2.5}
            {"a": 3, "b": 1, "flag": false, "c": [1, 2]}

            """, name: "rows.jsonl")
        let table = try openTable(path: path)
        #expect(table.columnNames == ["a", "b", "flag", "c"])
        #expect(table.rowCount == 3)
        let a = try await table.load(column: "a")
        #expect(a.valueType == .float)
        #expect(a.sample.numbers == [1, 3])
        #expect(a.sample.missing == 1)
        let b = try await table.load(column: "b")
        #expect(b.valueType == .string)
        #expect(b.sample.categoryCounts() == [.text("x"): 1, .text("y"): 1, .number(1): 1])
        let flag = try await table.load(column: "flag")
        #expect(flag.valueType == .boolean)
        #expect(flag.sample.missing == 1)
        let c = try await table.load(column: "c")
        #expect(c.valueType == .string)
        #expect(c.sample.categoryCounts() == [.number(2.5): 1, .text("[1,2]"): 1])
        #expect(c.sample.missing == 1)
    }

    @Test("JSON lines errors name the line")
    func jsonLinesErrors() throws {
        let bad = try Self.write("{\"a\": 1}\n{\"a\": }\n", name: "bad.jsonl")
        #expect(Self.failure { _ = try openTable(path: bad) }.hasPrefix("\(bad) line 2, byte 7: not valid JSON"))
        let array = try Self.write("{\"a\": 1}\n[1]\n", name: "array.jsonl")
        #expect(Self.failure { _ = try openTable(path: array) } == "\(array) line 2: expected a JSON object per line, found an array.")
        let twice = try Self.write("{\"a\": 1, \"a\": 2}\n", name: "twice.jsonl")
        #expect(Self.failure { _ = try openTable(path: twice) }.contains("line 1: the key 'a' appears twice"))
        let sniffed = try Self.write("{\"a\": 1}\n{\"a\": 2}\n", name: "rows.txt")
        #expect(try openTable(path: sniffed).columnNames == ["a"])
    }

    @Test("a file's temporary column directory goes away with the table")
    func temporaryFilesRemoved() throws {
        let path = try Self.write("a,b\n1,x\n2,y\n")
        var directory = ""
        do {
            let table = try CSVReader.read(path: path, label: "t")
            directory = Mirror(reflecting: table).children.first { $0.label == "directory" }?.value as? String ?? ""
            #expect(FileManager.default.fileExists(atPath: directory + "/0.cells"))
        }
        #expect(!directory.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: directory))
    }

    @Test("rows built in memory are typed like a JSON-lines file")
    func rowTableBuilder() async throws {
        var builder = RowTableBuilder()
        builder.append(row: [("age", .number("31")), ("plan", .string("pro")), ("ok", .bool(true))])
        builder.append(row: [("plan", .string("free")), ("age", .number("40")), ("score", .number("0.5"))])
        builder.append(row: [("age", .null), ("plan", .string("pro")), ("ok", .bool(false))])
        let source = builder.source(label: "window")
        #expect(source.columnNames == ["age", "plan", "ok", "score"])
        #expect(source.rowCount == 3)
        let age = try await source.load(column: "age")
        #expect(age.valueType == .float)
        #expect(age.sample.numbers == [31, 40])
        #expect(try await source.load(column: "plan").sample.categoryCounts() == [.text("pro"): 2, .text("free"): 1])
        let ok = try await source.load(column: "ok")
        #expect(ok.valueType == .boolean)
        #expect(ok.sample.missing == 1)
        let table = builder.table(label: "window")
        #expect(table.columns.map(\.name) == source.columnNames)
        #expect(try await table.load(column: "score") == (try await source.load(column: "score")))
    }

    static func profileTable() -> LoadedTable {
        LoadedTable(label: "dataset:churn@abc", rowCount: 6, columns: [
            LoadedColumn(name: "x", valueType: .float, sample: ColumnSample(numbers: [0.25, -1e300, 3.5, 7, .nan], missing: 1)),
            LoadedColumn(name: "n", valueType: .integer, sample: ColumnSample(numbers: [1, 1, 2, -5, 4e15, 0], missing: 0)),
            LoadedColumn(name: "flag", valueType: .boolean, sample: ColumnSample(numbers: [0, 1, 1, 1, 0], missing: 1)),
            LoadedColumn(name: "plan", valueType: .string, sample: ColumnSample(counts: [.text("pro"): 3, .text("frée"): 2, .number(4): 1], missing: 0)),
            LoadedColumn(name: "none", valueType: .empty, sample: ColumnSample(numbers: [], missing: 6)),
        ])
    }

    @Test("reference profiles round-trip")
    func profileRoundTrip() throws {
        let table = Self.profileTable()
        let bytes = ReferenceProfileCodec.encode(table)
        let decoded = try ReferenceProfileCodec.decode(bytes)
        #expect(decoded.label == table.label)
        #expect(decoded.rowCount == table.rowCount)
        #expect(decoded.columns == table.columns)
        // A 0/1 column costs about a byte a row.
        let flags = LoadedColumn(name: "f", valueType: .boolean, sample: ColumnSample(numbers: (0..<10_000).map { Double($0 % 2) }))
        #expect(ReferenceProfileCodec.encode(columns: [flags], rowCount: 10_000, label: "").count < 10_100)
    }

    @Test("damaged or hostile profile bytes throw")
    func profileGarbage() throws {
        let bytes = ReferenceProfileCodec.encode(Self.profileTable())
        for length in 0..<bytes.count {
            #expect(throws: DriftError.self) { _ = try ReferenceProfileCodec.decode(Array(bytes[0..<length])) }
        }
        #expect(throws: DriftError.self) { _ = try ReferenceProfileCodec.decode(bytes + [0]) }
        var newer = bytes
        newer[4] = 9
        #expect(Self.failure { _ = try ReferenceProfileCodec.decode(newer) }.contains("version 9 is not supported"))
        // A huge count in a tiny input must be refused before anything is allocated.
        let huge: [UInt8] = Array("YRPF".utf8) + [1, 0, 1, 1, 1, UInt8(ascii: "x"), 1, 0, 0,
                                                   0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F]
        #expect(throws: DriftError.self) { _ = try ReferenceProfileCodec.decode(huge) }
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            var mutated = bytes
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                mutated[Int.random(in: 0..<mutated.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            }
            _ = try? ReferenceProfileCodec.decode(mutated)
            let random = (0..<Int.random(in: 0...64, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            _ = try? ReferenceProfileCodec.decode(Array("YRPF".utf8) + [1] + random)
        }
    }

    @Test("column mappings from YAML and JSON; errors name the key")
    func mappings() throws {
        let path = try Self.write("""
            numerical: [age, income]
            categorical: [plan]
            text: [comment]
            datetime: [ts]
            target: churned
            prediction: score
            ignored: [id]
            stattest: psi
            stattests: {age: ks}
            threshold: 0.2
            thresholds: {age: 0.01}
            drift_share: 0.4
            """, name: "m.yaml")
        let mapping = try ColumnMapping.load(path: path)
        #expect(mapping.numerical == ["age", "income"])
        #expect(mapping.role(of: "churned") == .target)
        #expect(mapping.role(of: "score") == .prediction)
        #expect(mapping.role(of: "id") == .ignored)
        #expect(mapping.forcedKind(of: "comment") == .text)
        #expect(mapping.stattests == ["age": "ks"])
        #expect(mapping.thresholds == ["age": 0.01])
        #expect(mapping.driftShare == 0.4)
        #expect(try ColumnMapping(json: mapping.json) == mapping)

        let options = DriftOptions(mapping: mapping, stattest: "wasserstein", perColumnThreshold: ["income": 0.3])
        #expect(options.stattest == "wasserstein")
        #expect(options.perColumnStattest == ["age": "ks"])
        #expect(options.perColumnThreshold == ["age": 0.01, "income": 0.3])
        #expect(options.driftShare == 0.4)

        let unknown = Self.failure { _ = try ColumnMapping(json: .object([("stattests", .object([("age", .string("kss"))]))])) }
        #expect(unknown.hasPrefix("columns: stattests.age: unknown stattest 'kss'. Valid tests: ks, chisquare, z,"))
        #expect(Self.failure { _ = try ColumnMapping(yaml: "numerical: age", source: "m.yaml") }
                == "m.yaml: numerical must be a list of column names, got a string.")
        #expect(Self.failure { _ = try ColumnMapping(yaml: "colums: [a]", source: "m.yaml") }.hasPrefix("m.yaml: colums is not a mapping key."))
        #expect(Self.failure { _ = try ColumnMapping(json: .object([("threshold", .number("-1"))])) }.hasPrefix("columns: threshold must be"))
        #expect(Self.failure { _ = try ColumnMapping(yaml: "numerical: [a]\ncategorical: [a]") }.contains("'a' is listed under both numerical and categorical"))
        #expect(Self.failure { try DriftOptions(stattest: "nope").validate() }.hasPrefix("stattest: unknown stattest 'nope'"))
    }
}
