import ArgumentParser
import Foundation
import NIOHTTP1
import YardClient
import YardCore
import YardJSON
import YardServing
#if canImport(Glibc)
import Glibc
#endif

/// `yard predict`: batch predictions from a file with the native evaluator, streamed in chunks that are
/// evaluated in parallel and written in input order, so memory stays bounded whatever the file size.
struct PredictCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Predict a CSV or JSON lines file with an ONNX model (a local package or a registered model).",
        discussion: """
            MODEL is an MLflow model folder with an onnx flavor, a bare .onnx file, or a registered model on \
            a tracking server: models:/<name>/<version>, models:/<name>@<alias>, runs:/<run_id>/<path>.

            INPUT is a CSV file with a header row, or JSON lines (.jsonl, one object per row). Columns map \
            to the model's inputs as in the scoring API: signature order when the package has a signature, \
            else input names, else file order.

            Output is CSV (one row per input row, prediction columns only; an [N, C] output or class \
            probabilities become <output>_<index-or-label> columns) or JSON lines (every output, full \
            precision), chosen by --format or the --out extension. Without --out, CSV goes to stdout.

            Examples:
              yard predict model/ data/test.csv --out predictions.csv
              yard predict models:/churn@production big.csv -o scores.jsonl --tracking-uri http://127.0.0.1:5000
              yard predict model.onnx rows.jsonl --format jsonl --profile > out.jsonl
            """)

    @Argument(help: "Model folder, .onnx file, models:/<name>/<version>, models:/<name>@<alias> or runs:/<run_id>/<path>.")
    var model: String

    @Argument(help: "Input file: CSV with a header row, or JSON lines (.jsonl / .ndjson).")
    var input: String

    @Option(name: [.short, .long], help: "Output file (default: stdout). Its extension (.csv, .jsonl) picks the format.")
    var out: String?

    @Option(help: "Output format: csv or jsonl (default: from --out, else csv).")
    var format: String?

    @Option(help: "Tracking server for models:/ and runs:/ URIs (default: $MLFLOW_TRACKING_URI, else $YARD_SERVER).")
    var trackingURI: String?

    @Option(help: "Rows per chunk.")
    var chunkRows: Int = 4096

    @Option(help: "Chunks evaluated at once (default: the number of cores).")
    var jobs: Int?

    @Flag(help: "After the run, print the evaluator's time per row (excluding reading, parsing and writing).")
    var profile = false

    @Flag(name: [.short, .long], help: "No progress or summary on stderr.")
    var quiet = false

    func validate() throws {
        guard chunkRows > 0 else { throw ValidationError("--chunk-rows must be at least 1.") }
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1.") }
        if let format, BatchOutput.Format(rawValue: format.lowercased()) == nil {
            throw ValidationError("--format must be csv or jsonl.")
        }
    }

    func run() async throws {
        let outputFormat = chosenFormat()
        let started = Date()
        let (modelPath, cleanup) = try await localModel()
        defer { cleanup() }
        let servable: ServableModel
        do {
            servable = try ServableModel.load(path: modelPath)
        } catch {
            throw CLIError(error.message)
        }
        let reader = try PredictionInputReader(path: input, chunkRows: chunkRows)
        let writer = try PredictionWriter(path: out)
        let progress = PredictionProgress(enabled: !quiet, totalBytes: reader.totalBytes)
        let parallelism = jobs ?? ProcessInfo.processInfo.activeProcessorCount
        let inputName = (input as NSString).lastPathComponent

        var totals = PredictionTotals()
        try await withThrowingTaskGroup(of: ChunkResult.self) { group in
            var nextToWrite = 0
            var finished: [Int: ChunkResult] = [:]
            var inFlight = 0
            var chunkIndex = 0
            var exhausted = false

            func drain(_ result: ChunkResult) throws {
                finished[result.index] = result
                while let ready = finished.removeValue(forKey: nextToWrite) {
                    try writer.write(ready.bytes)
                    totals.add(ready)
                    progress.advance(rows: ready.rows, bytes: ready.inputBytes)
                    nextToWrite += 1
                }
            }

            while true {
                // Bounded: at most `parallelism` chunks evaluating and as many finished ones waiting for
                // an earlier chunk, so memory does not grow with the file.
                while !exhausted && inFlight + finished.count < 2 * parallelism {
                    guard let chunk = try reader.next() else {
                        exhausted = true
                        break
                    }
                    let index = chunkIndex
                    chunkIndex += 1
                    inFlight += 1
                    group.addTask {
                        try Self.evaluate(chunk, index: index, model: servable, format: outputFormat,
                                          withHeader: index == 0, inputName: inputName)
                    }
                }
                guard let result = try await group.next() else { break }
                inFlight -= 1
                try drain(result)
            }
        }
        progress.finish()
        try writer.close()
        if totals.rows == 0 {
            if !quiet { Console.error("\(inputName) has no data rows; nothing was predicted.") }
            return
        }
        let elapsed = Date().timeIntervalSince(started)
        if !quiet {
            Console.error("Predicted \(totals.rows) rows in \(String(format: "%.2f", elapsed)) s -> \(out ?? "stdout") (\(outputFormat.rawValue)).")
        }
        if profile {
            let perRow = Double(totals.evaluatorNanoseconds) / 1000 / Double(totals.rows)
            Console.error(String(format: "evaluator: %.3f µs per row (%d rows in %d chunks; evaluator time summed over %d parallel workers: %.1f ms; excludes reading, parsing and writing)",
                                 perRow, totals.rows, totals.chunks, parallelism, Double(totals.evaluatorNanoseconds) / 1e6))
            if let median = totals.medianChunkNanosecondsPerRow, totals.chunks > 1 {
                Console.error(String(format: "evaluator: median chunk %.3f µs per row (chunks of up to %d rows)", median / 1000, chunkRows))
            }
        }
    }

    private func chosenFormat() -> BatchOutput.Format {
        if let format, let chosen = BatchOutput.Format(rawValue: format.lowercased()) { return chosen }
        let lowered = (out ?? "").lowercased()
        if lowered.hasSuffix(".jsonl") || lowered.hasSuffix(".ndjson") || lowered.hasSuffix(".json") { return .jsonl }
        return .csv
    }

    /// Feeds, evaluation and rendering of one chunk; only the `predict` call counts as evaluator time.
    private static func evaluate(_ chunk: PredictionChunk, index: Int, model: ServableModel, format: BatchOutput.Format,
                                 withHeader: Bool, inputName: String) throws -> ChunkResult {
        let feeds: ModelFeeds
        do {
            feeds = try model.feeds(for: ScoringInput(format: .csv, payload: .table(chunk.table)), rowOffset: chunk.firstRow)
        } catch {
            throw CLIError("\(inputName): \(error.message) (rows count from 1, after the header).")
        }
        let start = DispatchTime.now().uptimeNanoseconds
        let outputs: [(name: String, value: Value)]
        do {
            outputs = try model.model.predict(feeds.tensors)
        } catch {
            throw CLIError("\(inputName), rows \(chunk.firstRow)-\(chunk.firstRow + feeds.rows - 1): \(error.message)")
        }
        let evaluator = DispatchTime.now().uptimeNanoseconds - start
        var bytes = withHeader && format == .csv ? BatchOutput.csvHeader(outputs) : []
        bytes += BatchOutput.rows(outputs, format: format)
        return ChunkResult(index: index, bytes: bytes, rows: feeds.rows, inputBytes: chunk.bytes, evaluatorNanoseconds: evaluator)
    }

    /// A local folder or file for MODEL, downloading registered models into a temporary folder.
    private func localModel() async throws -> (path: String, cleanup: () -> Void) {
        let lowered = model.lowercased()
        guard lowered.hasPrefix("models:") || lowered.hasPrefix("runs:") else {
            let path = lowered.hasPrefix("file://") ? (URL(string: model)?.path ?? model) : model
            return (path, {})
        }
        let environment = ProcessInfo.processInfo.environment
        let candidates = [trackingURI, environment["MLFLOW_TRACKING_URI"], environment["YARD_SERVER"]]
        guard let url = candidates.compactMap({ $0 }).first(where: { $0.hasPrefix("http://") || $0.hasPrefix("https://") }) else {
            throw CLIError("'\(model)' names a model on a tracking server; pass --tracking-uri http://host:port or set MLFLOW_TRACKING_URI.")
        }
        let connection: ServerConnection
        do {
            connection = try ServerConnection(baseURL: url)
        } catch {
            throw CLIError(error.message)
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("yard-predict-\(UUID().uuidString)").path
        let cleanup = { _ = try? FileManager.default.removeItem(atPath: folder) }
        do {
            try await RemoteModelDownload(connection: connection).download(model, into: folder)
        } catch let error as YardError {
            cleanup()
            throw CLIError(error.message)
        } catch {
            cleanup()
            throw error
        }
        return (folder, cleanup)
    }
}

// MARK: Reading input in chunks

struct PredictionChunk: Sendable {
    let table: DataTable
    /// 1-based number of the chunk's first data row.
    let firstRow: Int
    /// Input bytes the chunk covers, for progress.
    let bytes: Int
}

struct ChunkResult: Sendable {
    let index: Int
    let bytes: [UInt8]
    let rows: Int
    let inputBytes: Int
    let evaluatorNanoseconds: UInt64
}

struct PredictionTotals {
    var rows = 0
    var chunks = 0
    var evaluatorNanoseconds: UInt64 = 0
    /// Each chunk's evaluator time per row, for a median that a chunk descheduled mid-call cannot skew.
    var chunkNanosecondsPerRow: [Double] = []

    mutating func add(_ result: ChunkResult) {
        rows += result.rows
        chunks += 1
        evaluatorNanoseconds += result.evaluatorNanoseconds
        if result.rows > 0 { chunkNanosecondsPerRow.append(Double(result.evaluatorNanoseconds) / Double(result.rows)) }
    }

    var medianChunkNanosecondsPerRow: Double? {
        guard !chunkNanosecondsPerRow.isEmpty else { return nil }
        let sorted = chunkNanosecondsPerRow.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
}

/// Reads CSV (header row) or JSON lines in fixed-size blocks and hands out tables of `chunkRows` rows.
final class PredictionInputReader {
    private let handle: FileHandle
    private let name: String
    private let chunkRows: Int
    private let isJSONLines: Bool
    let totalBytes: Int
    private var csv = CSVReader()
    private var header: [String]?
    private var pendingRecords: [(line: Int, fields: [String])] = []
    private var pendingLines: [(line: Int, text: [UInt8])] = []
    private var partialLine: [UInt8] = []
    private var lineNumber = 0
    private var rowsHandedOut = 0
    private var bytesSinceChunk = 0
    private var endOfFile = false

    init(path: String, chunkRows: Int) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw CLIError("Cannot read the input file '\(path)'; check the path.")
        }
        self.handle = handle
        self.name = (path as NSString).lastPathComponent
        self.chunkRows = chunkRows
        let lowered = path.lowercased()
        isJSONLines = lowered.hasSuffix(".jsonl") || lowered.hasSuffix(".ndjson")
        totalBytes = ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0
    }

    deinit { try? handle.close() }

    /// The next chunk, or nil at the end of the file.
    func next() throws -> PredictionChunk? {
        while bufferedRows < chunkRows && !endOfFile {
            let block = handle.readData(ofLength: 1 << 20)
            if block.isEmpty {
                endOfFile = true
                try finishInput()
            } else {
                bytesSinceChunk += block.count
                try consume([UInt8](block))
            }
        }
        guard bufferedRows > 0 else { return nil }
        let firstRow = rowsHandedOut + 1
        let table: DataTable
        let count = min(chunkRows, bufferedRows)
        do {
            if isJSONLines {
                let lines = pendingLines.prefix(count)
                pendingLines.removeFirst(count)
                var records: [JSONValue] = []
                records.reserveCapacity(count)
                for line in lines {
                    let value: JSONValue
                    do {
                        value = try JSONParser.parse(line.text)
                    } catch {
                        throw CLIError("\(name) line \(line.line) is not valid JSON (\(error)).")
                    }
                    guard case .object = value else {
                        throw CLIError("\(name) line \(line.line) must be a JSON object of column names to values.")
                    }
                    records.append(value)
                }
                table = try ScoringCodec.dataframeRecords(.array(records))
            } else {
                let records = pendingRecords.prefix(count)
                pendingRecords.removeFirst(count)
                table = try ScoringCodec.csvTable(header: header ?? [], records: records)
            }
        } catch let error as CodecError {
            throw CLIError("\(name): \(error.message)")
        }
        rowsHandedOut += count
        let bytes = bytesSinceChunk
        bytesSinceChunk = 0
        return PredictionChunk(table: table, firstRow: firstRow, bytes: bytes)
    }

    private var bufferedRows: Int { isJSONLines ? pendingLines.count : pendingRecords.count }

    private func consume(_ block: [UInt8]) throws {
        if isJSONLines {
            var start = 0
            for index in block.indices where block[index] == UInt8(ascii: "\n") {
                partialLine += block[start..<index]
                addLine()
                start = index + 1
            }
            partialLine += block[start...]
            return
        }
        do {
            var records = try csv.feed(block)
            if header == nil, !records.isEmpty {
                header = records.removeFirst().fields
            }
            pendingRecords += records
        } catch {
            throw CLIError("\(name): \(error.message)")
        }
    }

    private func addLine() {
        lineNumber += 1
        let trimmed = partialLine.last == UInt8(ascii: "\r") ? Array(partialLine.dropLast()) : partialLine
        if trimmed.contains(where: { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") }) {
            pendingLines.append((lineNumber, trimmed))
        }
        partialLine.removeAll(keepingCapacity: true)
    }

    private func finishInput() throws {
        if isJSONLines {
            if !partialLine.isEmpty { addLine() }
            return
        }
        do {
            if let last = try csv.finish() {
                if header == nil { header = last.fields } else { pendingRecords.append(last) }
            }
        } catch {
            throw CLIError("\(name): \(error.message)")
        }
        if header == nil {
            throw CLIError("\(name) is empty; a CSV input needs a header row naming the columns.")
        }
    }
}

// MARK: Writing and progress

/// Writes to a file (created or truncated) or to stdout.
final class PredictionWriter {
    private let handle: FileHandle
    private let ownsHandle: Bool

    init(path: String?) throws {
        guard let path, path != "-" else {
            handle = FileHandle.standardOutput
            ownsHandle = false
            return
        }
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw CLIError("Cannot write the output file '\(path)'; check that its folder exists and is writable.")
        }
        self.handle = handle
        ownsHandle = true
    }

    func write(_ bytes: [UInt8]) throws {
        do {
            try handle.write(contentsOf: bytes)
        } catch {
            throw CLIError("Writing the predictions failed: \(error.localizedDescription)")
        }
    }

    func close() throws {
        if ownsHandle { try handle.close() }
    }
}

/// A one-line row counter on stderr for long runs, only on an interactive terminal.
final class PredictionProgress {
    private let enabled: Bool
    private let totalBytes: Int
    private var rows = 0
    private var bytes = 0
    private let started = Date()
    private var lastDraw = Date.distantPast
    private var drawn = false

    init(enabled: Bool, totalBytes: Int) {
        let environment = ProcessInfo.processInfo.environment
        self.enabled = enabled && isatty(STDERR_FILENO) == 1 && environment["CI"] == nil && environment["TERM"] != "dumb"
        self.totalBytes = totalBytes
    }

    func advance(rows: Int, bytes: Int) {
        self.rows += rows
        self.bytes += bytes
        guard enabled else { return }
        let now = Date()
        guard now.timeIntervalSince(lastDraw) >= 0.2, now.timeIntervalSince(started) >= 0.5 else { return }
        lastDraw = now
        let fraction = totalBytes > 0 ? min(1, Double(self.bytes) / Double(totalBytes)) : 0
        let rate = Double(self.rows) / max(now.timeIntervalSince(started), 0.001)
        FileHandle.standardError.write(Data(String(format: "\r\u{1B}[Kpredict: %d rows  %.0f%%  %.0f rows/s", self.rows, fraction * 100, rate).utf8))
        drawn = true
    }

    func finish() {
        if drawn { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
