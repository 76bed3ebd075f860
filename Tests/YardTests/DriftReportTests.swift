import ArgumentParser
import Foundation
import Testing
import YardCore
import YardJSON
@testable import YardCLI
@testable import YardClient
@testable import YardData
@testable import YardMonitoring
@testable import YardServer

/// The drift report renderers (JSON, text, HTML) and `yard drift` end to end on real files, a local
/// data repository and a live server.
@Suite("Drift reports and yard drift")
struct DriftReportTests {
    // MARK: Fixtures

    static func column(_ name: String, kind: ColumnKind = .numerical, test: String = "ks", scoreKind: ScoreKind = .pValue,
                       statistic: Double? = 0.25, pValue: Double? = 0.01, score: Double = 0.01, threshold: Double = 0.05,
                       drifted: Bool = true, role: ColumnRole = .feature, histogram: ColumnHistogram? = nil) -> ColumnDrift {
        ColumnDrift(column: name, role: role, kind: kind, test: test, testTitle: "\(test) title", scoreKind: scoreKind,
                    result: StatTestResult(statistic: statistic, pValue: pValue, score: score, threshold: threshold, drifted: drifted),
                    referenceCount: 990, currentCount: 480, referenceMissing: 10, currentMissing: 20, histogram: histogram)
    }

    static let numericHistogram = ColumnHistogram(bins: .numeric(edges: [0, 1, 2, 3, 4]), reference: [0.1, 0.4, 0.4, 0.1],
                                                  current: [0.05, 0.15, 0.4, 0.4])

    static func sampleReport() -> DriftReport {
        DriftReport(
            reference: "ref.csv", current: "cur.csv", referenceRows: 1000, currentRows: 500,
            columns: [
                column("age", statistic: 0.3, pValue: 0.001, score: 0.001, histogram: numericHistogram),
                column("plan", kind: .categorical, test: "psi", scoreKind: .distance, statistic: 0.02, pValue: nil, score: 0.02,
                       threshold: 0.1, drifted: false,
                       histogram: ColumnHistogram(bins: .categories(["a", "b", "other"]), reference: [0.5, 0.3, 0.2], current: [0.4, 0.4, 0.2])),
                column("churned", kind: .categorical, test: "z", statistic: 2.5, pValue: 0.0124, score: 0.0124, drifted: true, role: .target),
            ],
            skipped: [SkippedColumn(column: "id", reason: "ignored by the column mapping")],
            driftShare: 0.5)
    }

    func parse(_ text: String) throws -> JSONValue { try JSONParser.parse(Array(text.utf8)) }

    func keys(_ value: JSONValue?) -> [String] {
        guard case .object(let members)? = value else { return [] }
        return members.map(\.0)
    }

    func number(_ value: JSONValue?) -> Double? {
        guard case .number(let text)? = value else { return nil }
        return Double(text)
    }

    // MARK: JSON

    @Test func jsonHasEveryContractKeyInOrder() throws {
        let json = try parse(DriftReportJSON.text(Self.sampleReport()))
        #expect(keys(json) == ["reference", "current", "reference_rows", "current_rows", "drift_share", "tested_columns",
                               "drifted_columns", "share_drifted", "dataset_drift", "columns", "skipped"])
        #expect(json["reference"] == .string("ref.csv"))
        #expect(number(json["reference_rows"]) == 1000 && number(json["current_rows"]) == 500)
        #expect(number(json["tested_columns"]) == 3 && number(json["drifted_columns"]) == 2)
        #expect(number(json["share_drifted"]) == 2.0 / 3.0)
        #expect(json["dataset_drift"] == .bool(true))
        guard case .array(let columns)? = json["columns"] else { Issue.record("no columns array"); return }
        #expect(columns.count == 3)
        #expect(keys(columns[0]) == ["column", "role", "kind", "stattest", "stattest_title", "score_kind", "statistic", "p_value",
                                     "score", "threshold", "drifted", "reference_count", "current_count", "reference_missing",
                                     "current_missing"])
        #expect(columns[0]["column"] == .string("age") && columns[0]["kind"] == .string("numerical"))
        #expect(columns[0]["score_kind"] == .string("p_value") && columns[0]["drifted"] == .bool(true))
        #expect(number(columns[0]["p_value"]) == 0.001 && number(columns[0]["threshold"]) == 0.05)
        #expect(number(columns[0]["reference_count"]) == 990 && number(columns[0]["current_missing"]) == 20)
        // A distance test has no p-value: null, not absent.
        #expect(columns[1]["p_value"] == .null)
        #expect(columns[1]["score_kind"] == .string("distance") && columns[1]["drifted"] == .bool(false))
        #expect(columns[2]["role"] == .string("target"))
        #expect(json["skipped"] == .array([.object([("column", .string("id")), ("reason", .string("ignored by the column mapping"))])]))
    }

    @Test func jsonWritesNullForMissingAndNonFiniteNumbers() throws {
        var report = Self.sampleReport()
        report.columns = [Self.column("x", statistic: .infinity, pValue: nil, score: .nan, threshold: 0.05, drifted: false)]
        let text = DriftReportJSON.text(report)
        // Foundation's parser rejects NaN/Infinity tokens and strings would be a type change: both must be null.
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let column = try #require((object["columns"] as? [[String: Any]])?.first)
        #expect(column["statistic"] is NSNull && column["p_value"] is NSNull && column["score"] is NSNull)
        #expect(!text.contains("NaN") && !text.contains("Infinity"))
    }

    @Test func jsonNumbersRoundTripExactly() throws {
        let awkward = [0.1 + 0.2, Double.leastNonzeroMagnitude, 1.7976931348623157e308, 1e-300, 123456789.123456789, 1.0 / 3.0, 2.5e-17, 1e21]
        var report = Self.sampleReport()
        report.columns = awkward.map { Self.column("c", statistic: $0, pValue: $0, score: $0) }
        let json = try parse(DriftReportJSON.text(report))
        guard case .array(let columns)? = json["columns"] else { Issue.record("no columns"); return }
        for (value, column) in zip(awkward, columns) {
            #expect(number(column["score"]) == value, "score \(value)")
            #expect(number(column["p_value"]) == value)
        }
        // Foundation reads them too (the parity scripts read with Python's json, which is as strict).
        #expect(throws: Never.self) { try JSONSerialization.jsonObject(with: Data(DriftReportJSON.text(report).utf8)) }
    }

    // MARK: Text

    @Test func textHasTableSummaryAndSkippedColumns() {
        let text = DriftReportText.render(Self.sampleReport(), colour: false)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.contains { $0.hasPrefix("COLUMN") && $0.contains("KIND") && $0.contains("TEST") && $0.contains("SCORE")
            && $0.contains("THRESHOLD") && $0.contains("VERDICT") })
        let age = lines.first { $0.hasPrefix("age ") }
        #expect(age != nil)
        #expect(age?.contains("numerical") == true && age?.contains("0.001") == true && age?.hasSuffix("drift") == true)
        let plan = lines.first { $0.hasPrefix("plan ") }
        #expect(plan?.hasSuffix("no drift") == true && plan?.contains("psi") == true)
        #expect(lines.contains { $0.hasPrefix("churned ") && $0.contains("(target)") })
        #expect(lines.contains("2 of 3 columns drifted (66.7%); dataset drift: yes (threshold 50%)"))
        #expect(lines.contains("  id: ignored by the column mapping"))
        #expect(text.contains("ref.csv (1000 rows)") && text.contains("cur.csv (500 rows)"))
        #expect(!text.contains("\u{1B}["))
    }

    @Test func textSummaryLineMatchesTheDocumentedForm() {
        var report = Self.sampleReport()
        report.columns = (0..<7).map { Self.column("c\($0)", drifted: $0 < 2) }
        #expect(DriftReportText.summaryLine(report) == "2 of 7 columns drifted (28.6%); dataset drift: no (threshold 50%)")
        report.driftShare = 0.25
        #expect(DriftReportText.summaryLine(report) == "2 of 7 columns drifted (28.6%); dataset drift: yes (threshold 25%)")
    }

    @Test func textColoursOnlyWhenAskedAndEscapesControlCharacters() {
        var report = Self.sampleReport()
        report.columns[0].column = "evil\u{1B}[2Jname"
        let plain = DriftReportText.render(report, colour: false)
        #expect(!plain.contains("\u{1B}"))
        #expect(plain.contains("evil\\u{1b}[2Jname"))
        let coloured = DriftReportText.render(report, colour: true)
        #expect(coloured.contains("\u{1B}[1;31m") && coloured.contains("\u{1B}[32m"))
        // Only the verdicts and the summary are painted; the injected escape stays escaped.
        #expect(!coloured.contains("evil\u{1B}"))
    }

    @Test func textShowsEnoughDigitsToTellScoreFromThreshold() {
        let (score, threshold) = DriftReportText.scoreTexts(0.049996, 0.05)
        #expect(score != threshold)
        #expect(Double(score) == 0.049996)
        #expect(DriftReportText.scoreTexts(0.05, 0.05) == ("0.05", "0.05"))
        #expect(DriftReportText.scoreTexts(1.23456e-9, 0.05).0 == "1.235e-09")
    }

    // MARK: HTML

    @Test func htmlIsSelfContainedEscapedAndHasAChartPerColumn() throws {
        var report = Self.sampleReport()
        report.reference = "data/<ref>&\"1\".csv"
        report.columns[0].column = "<script>alert('x')</script>"
        report.columns[1].histogram = ColumnHistogram(bins: .categories(["<img src=x onerror=alert(1)>", "b", "other"]),
                                                      reference: [0.5, 0.3, 0.2], current: [0.4, 0.4, 0.2])
        report.skipped = [SkippedColumn(column: "<b>id</b>", reason: "ignored by the column mapping")]
        let html = DriftReportHTML.render(report, generatedAt: Date(timeIntervalSince1970: 0))

        #expect(html.hasPrefix("<!DOCTYPE html>"))
        // Nothing fetched: no scripts at all, no http(s) in any src/href, no stylesheet links or imports.
        #expect(!html.lowercased().contains("<script"))
        #expect(html.range(of: #"(src|href)\s*=\s*["']?\s*(https?:)?//"#, options: [.regularExpression, .caseInsensitive]) == nil)
        #expect(!html.contains("http://") && !html.contains("https://"))
        #expect(!html.contains("<link") && !html.contains("@import") && !html.contains("url("))
        // Hostile names arrive only escaped.
        #expect(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"))
        #expect(!html.contains("<img"))
        #expect(html.contains("&lt;img src=x onerror=alert(1)&gt;"))
        #expect(html.contains("data/&lt;ref&gt;&amp;&quot;1&quot;.csv"))
        #expect(html.contains("<code>&lt;b&gt;id&lt;/b&gt;</code>"))
        // One chart per column with a histogram, each titled for screen readers, with both series.
        let charts = html.components(separatedBy: "<svg ").count - 1
        #expect(charts == 2)
        #expect(html.components(separatedBy: "role=\"img\"").count - 1 == 2)
        #expect(html.contains("<title id=\"h0\">Distribution of &lt;script&gt;"))
        #expect(html.contains("reference 40.0%, current 40.0%"))
        #expect(html.contains("<th scope=\"row\">"))
        #expect(html.contains("No dataset drift") || html.contains("Dataset drift detected"))
        #expect(html.contains("How to read this") && html.contains("Kolmogorov"))
        #expect(html.contains("ignored by the column mapping"))
        // A bar's height follows its share: the tallest share (0.4) fills the plot, 0.1 a quarter of it.
        let heights = try NSRegularExpression(pattern: #"<rect class="ref" x="[0-9.]+" y="[0-9.]+" width="[0-9.]+" height="([0-9.]+)"/>"#)
            .matches(in: html, range: NSRange(html.startIndex..., in: html))
            .compactMap { Range($0.range(at: 1), in: html).map { Double(html[$0]) ?? -1 } }
        #expect(heights.count == 4 + 3)
        if heights.count >= 2 { #expect(abs(heights[0] * 4 - heights[1]) < 0.5) }
    }

    @Test func htmlForTwentyColumnsIsWellUnder200KB() {
        var report = Self.sampleReport()
        report.columns = (0..<20).map { index in
            let histogram = index % 2 == 0
                ? ColumnHistogram(bins: .numeric(edges: (0...40).map { Double($0) * 1.234567 }),
                                  reference: (0..<40).map { 1 / 40 + Double($0 % 3) * 1e-3 }, current: (0..<40).map { _ in 1 / 40 })
                : ColumnHistogram(bins: .categories((0..<20).map { "category-\($0)-with-a-long-name" }),
                                  reference: (0..<20).map { _ in 0.05 }, current: (0..<20).map { _ in 0.05 })
            return Self.column("feature_\(index)", kind: index % 2 == 0 ? .numerical : .categorical, histogram: histogram)
        }
        let size = DriftReportHTML.render(report, generatedAt: Date()).utf8.count
        #expect(size < 150_000, "\(size) bytes")
        #expect(size > 20_000)   // 20 real charts, not an empty page
    }

    // MARK: Command line parsing

    @Test func inputsParse() throws {
        #expect(try DriftInput("data/ref.csv") == .file("data/ref.csv"))
        #expect(try DriftInput("dataset:churn-train@3FA9C2E1") == .dataset(name: "churn-train", digestPrefix: "3fa9c2e1"))
        #expect(try DriftInput("dataset:a@b@sha256:" + String(repeating: "ab", count: 32))
            == .dataset(name: "a@b", digestPrefix: String(repeating: "ab", count: 32)))
        #expect(throws: DriftError.self) { try DriftInput("dataset:churn@3fa9") }
        #expect(throws: DriftError.self) { try DriftInput("dataset:churn@nothexxx") }
        #expect(throws: DriftError.self) { try DriftInput("dataset:churn") }
    }

    @Test func usageErrorsExitWithStatus2() {
        for arguments in [["a.csv", "b.csv", "--stattest", "nope"], ["a.csv", "b.csv", "--drift-share", "1.5"],
                          ["a.csv", "b.csv", "--threshold=-1"], ["dataset:x@12", "b.csv"]] {
            do {
                _ = try DriftCommand.parseAsRoot(arguments)
                Issue.record("\(arguments) parsed")
            } catch {
                // What `yard` exits with for this error (ArgumentParser's own validation errors would be 64).
                #expect(DriftCommand.exitCode(for: error).rawValue == 2, "\(arguments): \(error)")
            }
        }
    }

    // MARK: End to end on files

    /// 400 rows; `age` shifts by 25 in the current data, `plan` keeps its mix, `id` is unique per row.
    static func writeTables(in directory: TemporaryDirectory, extraHeader: String = "") -> (reference: String, current: String) {
        func table(shift: Int, offset: Int) -> String {
            var text = "id,age,plan\(extraHeader.isEmpty ? "" : "," + extraHeader)\n"
            for row in 0..<400 {
                text += "\(row + offset),\(row % 50 + shift),\(["basic", "pro", "team"][row % 3])\(extraHeader.isEmpty ? "" : ",\(row % 7)")\n"
            }
            return text
        }
        let reference = directory.file("ref.csv"), current = directory.file("cur.csv")
        _ = FileManager.default.createFile(atPath: reference, contents: Data(table(shift: 0, offset: 0).utf8))
        _ = FileManager.default.createFile(atPath: current, contents: Data(table(shift: 25, offset: 10_000).utf8))
        return (reference, current)
    }

    func command(_ arguments: [String]) throws -> DriftCommand {
        try #require(try DriftCommand.parseAsRoot(arguments) as? DriftCommand)
    }

    @Test func driftOnCSVFilesThroughTheParsePath() async throws {
        let directory = TemporaryDirectory()
        let (reference, current) = Self.writeTables(in: directory)
        let mapping = directory.file("mapping.yaml")
        _ = FileManager.default.createFile(atPath: mapping, contents: Data("ignored: [id]\ncategorical: [plan]\n".utf8))
        let report = try await command([reference, current, "--columns", mapping, "--json"]).makeReport(workingDirectory: directory.path)
        #expect(report.reference == reference && report.referenceRows == 400 && report.currentRows == 400)
        let age = try #require(report.columns.first { $0.column == "age" })
        #expect(age.kind == .numerical && age.result.drifted)
        let plan = try #require(report.columns.first { $0.column == "plan" })
        #expect(plan.kind == .categorical && !plan.result.drifted)
        #expect(report.skipped.contains { $0.column == "id" })
        #expect(!report.columns.contains { $0.column == "id" })
        #expect(age.histogram != nil)

        let forced = try await command([reference, current, "--stattest", "psi", "--threshold", "0.5"]).makeReport(workingDirectory: directory.path)
        #expect(forced.columns.allSatisfy { $0.test == "psi" && $0.result.threshold == 0.5 })
    }

    @Test func mappingNamingAnUnknownColumnIsAClearError() async throws {
        let directory = TemporaryDirectory()
        let (reference, current) = Self.writeTables(in: directory)
        let mapping = directory.file("mapping.yaml")
        _ = FileManager.default.createFile(atPath: mapping, contents: Data("numerical: [agee]\n".utf8))
        do {
            _ = try await command([reference, current, "--columns", mapping]).makeReport(workingDirectory: directory.path)
            Issue.record("an unknown mapping column was accepted")
        } catch {
            let message = "\(error)"
            #expect(message.contains("'agee'") && message.contains("'age'") && message.contains(mapping), "\(message)")
        }
        do {
            _ = try await command([directory.file("missing.csv"), current]).makeReport(workingDirectory: directory.path)
            Issue.record("a missing file was accepted")
        } catch {
            #expect("\(error)".contains("missing.csv does not exist"), "\(error)")
        }
    }

    // MARK: Dataset versions

    @Test func datasetVersionFromTheLocalDataRepository() async throws {
        let repository = try DataTestRepository()
        let scratch = TemporaryDirectory()
        let (reference, current) = Self.writeTables(in: scratch)
        repository.write("data/train.csv", try String(contentsOfFile: reference, encoding: .utf8))
        let added = try repository.repository.add("data/train.csv", from: repository.root, datasetName: "churn-train")
        _ = added
        let pointer = try PointerFile.load(repository.root + "/data/train.csv.yard", displayPath: "data/train.csv.yard")
        let prefix = String(pointer.digest.hex.prefix(10))
        // The work-tree copy is gone: the bytes must come from the cache.
        try FileManager.default.removeItem(atPath: repository.root + "/data/train.csv")
        try FileManager.default.createDirectory(atPath: repository.root + "/sub", withIntermediateDirectories: true)

        let resolver = DriftInputResolver(workingDirectory: repository.root + "/sub", server: "http://127.0.0.1:1")
        let resolved = try await resolver.resolve(.dataset(name: "churn-train", digestPrefix: prefix), role: "REF")
        #expect(resolved.path == repository.repository.cache.path(for: pointer.digest))
        #expect(resolved.label == "dataset:churn-train@" + pointer.digest.hex)
        #expect(resolved.temporaryFolder == nil)

        let report = try await command(["dataset:churn-train@\(prefix)", current]).makeReport(workingDirectory: repository.root + "/sub")
        #expect(report.reference == "dataset:churn-train@" + pointer.digest.hex)
        #expect(report.referenceRows == 400)
        #expect(report.columns.first { $0.column == "age" }?.result.drifted == true)

        // A digest nobody has: the server is asked, and its absence is reported with what to do.
        do {
            _ = try await resolver.resolve(.dataset(name: "churn-train", digestPrefix: "00000000"), role: "REF")
            Issue.record("an unknown digest resolved")
        } catch {
            #expect("\(error)".contains("not in the local data cache") && "\(error)".contains("127.0.0.1:1"), "\(error)")
        }
    }

    @Test func datasetVersionDownloadedFromALiveServer() async throws {
        let serverData = TemporaryDirectory()
        let app = try await buildApplication(ServerConfiguration(port: 0, dataDirectory: serverData.path))
        try await app.test(.live) { client in
            let url = "http://127.0.0.1:\(try #require(client.port))"
            let origin = try DataTestRepository()
            let scratch = TemporaryDirectory()
            let (reference, current) = Self.writeTables(in: scratch)
            origin.write("train.csv", try String(contentsOfFile: reference, encoding: .utf8))
            _ = try origin.repository.add("train.csv", from: origin.root, datasetName: "churn-train")
            _ = try await origin.repository.push(to: try ServerRemote(baseURL: url), from: origin.root)
            let pointer = try PointerFile.load(origin.root + "/train.csv.yard", displayPath: "train.csv.yard")
            _ = try await DatasetClient(baseURL: url).register(DatasetRegistration(
                name: "churn-train", digest: pointer.digest.description, kind: "file", size: pointer.size, files: 1,
                source: "train.csv", profile: nil))

            // Outside any data repository: a temporary cache, removed afterwards.
            let elsewhere = TemporaryDirectory()
            let resolver = DriftInputResolver(workingDirectory: elsewhere.path, server: url)
            let resolved = try await resolver.resolve(.dataset(name: "churn-train", digestPrefix: String(pointer.digest.hex.prefix(8))), role: "REF")
            #expect(try String(contentsOfFile: resolved.path, encoding: .utf8) == String(contentsOfFile: reference, encoding: .utf8))
            let folder = try #require(resolved.temporaryFolder)
            resolved.removeTemporary()
            #expect(!FileManager.default.fileExists(atPath: folder))

            let report = try await command(["dataset:churn-train@\(pointer.digest.hex.prefix(12))", current, "--server", url])
                .makeReport(workingDirectory: elsewhere.path)
            #expect(report.referenceRows == 400 && report.reference.hasSuffix(pointer.digest.hex))

            do {
                _ = try await resolver.resolve(.dataset(name: "churn-train", digestPrefix: "ffffffff"), role: "REF")
                Issue.record("an unknown digest resolved")
            } catch {
                #expect("\(error)".contains("no version with digest ffffffff") && "\(error)".contains(String(pointer.digest.hex.prefix(12))), "\(error)")
            }
        }
    }

    // MARK: The built binary

    static var yardBinary: String { PipelineRunnerTests.yardBinary }

    struct Outcome { var status: Int32; var stdout: String; var stderr: String }

    static func yard(_ arguments: [String], in directory: String) throws -> Outcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: yardBinary)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Outcome(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self))
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: DriftReportTests.yardBinary), "needs .build/debug/yard"))
    func binaryPrintsJSONTextHTMLAndExitCodes() throws {
        let directory = TemporaryDirectory()
        _ = Self.writeTables(in: directory, extraHeader: "<script>alert(1)</script>")
        let json = try Self.yard(["drift", "ref.csv", "cur.csv", "--json", "--html", "report.html"], in: directory.path)
        #expect(json.status == 0, "\(json.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(object["reference"] as? String == "ref.csv" && object["reference_rows"] as? Int == 400)
        let columns = try #require(object["columns"] as? [[String: Any]])
        #expect(columns.contains { $0["column"] as? String == "age" && $0["drifted"] as? Bool == true })
        let html = try String(contentsOfFile: directory.file("report.html"), encoding: .utf8)
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;") && !html.contains("<script>"))
        #expect(html.components(separatedBy: "<svg ").count - 1 == columns.count)

        let text = try Self.yard(["drift", "ref.csv", "cur.csv"], in: directory.path)
        #expect(text.status == 0)
        #expect(text.stdout.contains("COLUMN") && text.stdout.contains("columns drifted") && text.stdout.contains("Done in "))
        #expect(!text.stdout.contains("\u{1B}["))   // stdout is a pipe: no colours

        let strict = try Self.yard(["drift", "ref.csv", "cur.csv", "--fail-on-drift", "--quiet", "--drift-share", "0.1"], in: directory.path)
        #expect(strict.status == 1)
        #expect(strict.stdout.hasSuffix("dataset drift: yes (threshold 10%)\n"), "\(strict.stdout)")

        let unknown = try Self.yard(["drift", "ref.csv", "cur.csv", "--stattest", "kss"], in: directory.path)
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("Unknown --stattest 'kss'") && unknown.stderr.contains("ks, "))

        let missing = try Self.yard(["drift", "nothere.csv", "cur.csv"], in: directory.path)
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("nothere.csv does not exist"))

        let help = try Self.yard(["drift", "--help"], in: directory.path)
        #expect(help.stdout.contains("Examples:") && help.stdout.contains("dataset:churn-train@"))
    }
}
