import ArgumentParser
import Foundation
import YardClient
import YardCore
import YardData
import YardMonitoring
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

struct DriftCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drift",
        abstract: "Compare two datasets column by column and report which columns drifted (Evidently's tests and rules).",
        discussion: """
            Each column gets Evidently's default test for its type and size (or --stattest / the mapping's), and the dataset has drifted when the share of drifted columns reaches --drift-share (default 0.5). REF and CUR are CSV or JSON-lines files, or dataset versions: dataset:<name>@<digest> (at least 8 hex characters), read from the local yard data cache or downloaded from the yard server.

            Exit status: 0 whether or not drift was found (1 with --fail-on-drift when the dataset drifted), 1 when the work failed, 2 on a usage error.

            Examples:
              yard drift train.csv today.csv
              yard drift train.csv today.jsonl --columns mapping.yaml --html drift.html
              yard drift dataset:churn-train@3fa9c2e1 live.csv --stattest psi
              yard drift ref.csv cur.csv --json | jq '.columns[] | select(.drifted)'
              yard drift ref.csv cur.csv --fail-on-drift --quiet    # for CI

            A mapping file (YAML) forces kinds and roles and sets tests per column:
              numerical: [age, income]
              categorical: [plan]
              target: churned
              ignored: [id]
              stattests: {age: ks}
              thresholds: {age: 0.01}
            """)

    @Argument(help: "Reference data: a .csv / .jsonl file, or dataset:<name>@<digest>.") var reference: String
    @Argument(help: "Current data, in the same forms.") var current: String

    @Option(name: .customLong("columns"), help: ArgumentHelp("Column mapping file (YAML): kinds, roles, ignored columns, tests and thresholds.", valueName: "mapping.yaml"))
    var mappingPath: String?

    @Option(help: ArgumentHelp("Test for every column (overrides the defaults), e.g. ks, psi, wasserstein, jensenshannon.", valueName: "name"))
    var stattest: String?

    @Option(help: ArgumentHelp("Threshold for every column's test (default: the test's own, e.g. 0.05 for a p-value, 0.1 for a distance).", valueName: "x"))
    var threshold: Double?

    @Option(name: .customLong("drift-share"), help: ArgumentHelp("Share of drifted columns from which the dataset counts as drifted, 0 to 1 (default 0.5).", valueName: "x"))
    var driftShare: Double?

    @Flag(help: "Print the report as JSON on stdout (nothing else goes to stdout).") var json = false

    @Option(help: ArgumentHelp("Also write a self-contained HTML report (tables and charts, no external files) to this path.", valueName: "file"))
    var html: String?

    @Flag(name: .customLong("fail-on-drift"), help: "Exit with status 1 when the dataset drifted.") var failOnDrift = false

    @Flag(name: .shortAndLong, help: "No progress; in text mode print only the summary line.") var quiet = false

    @Option(name: [.customLong("tracking-uri"), .customLong("server")],
            help: ArgumentHelp("Yard server for dataset:<name>@<digest> inputs not in the local cache (default: the repository's server, $YARD_SERVER, $MLFLOW_TRACKING_URI).", valueName: "url"))
    var trackingURI: String?

    /// Usage errors exit with status 2 and the usage line (ArgumentParser's own would exit 64).
    func validate() throws {
        var problems: [String] = []
        if let stattest, StatTest.named(stattest) == nil {
            problems.append("Unknown --stattest '\(stattest)'. Valid tests: \(StatTest.all.map(\.name).joined(separator: ", ")).")
        }
        if let threshold, !(threshold.isFinite && threshold >= 0) {
            problems.append("--threshold must be a finite number ≥ 0, got \(threshold).")
        }
        if let driftShare, !(driftShare.isFinite && (0...1).contains(driftShare)) {
            problems.append("--drift-share must be a fraction between 0 and 1, got \(driftShare).")
        }
        if let html, html.isEmpty { problems.append("--html needs a file path.") }
        for (role, input) in [("REF", reference), ("CUR", current)] {
            do { _ = try DriftInput(input) } catch { problems.append("\(role): \(error.message)") }
        }
        guard problems.isEmpty else {
            Console.error(problems.map { "Error: " + $0 }.joined(separator: "\n") + "\n" + YardCommand.usageString(for: Self.self))
            throw ExitCode(2)
        }
    }

    func run() async throws {
        let started = Date()
        let report: DriftReport
        do {
            report = try await makeReport()
        } catch let error as DriftError {
            throw CLIError(error.message)
        } catch let error as YardError {
            throw CLIError(error.message)
        }
        if let html {
            do {
                try Data(DriftReportHTML.render(report, generatedAt: Date()).utf8).write(to: URL(fileURLWithPath: html))
            } catch {
                throw CLIError("Cannot write the HTML report to \(html): \(error.localizedDescription). Check that the folder exists and is writable.")
            }
        }
        let seconds = Date().timeIntervalSince(started)
        if json {
            Console.line(DriftReportJSON.text(report))
            if let html, !quiet { Console.error("HTML report written to \(html).") }
        } else if quiet {
            Console.line(DriftReportText.summaryLine(report))
        } else {
            Console.line(DriftReportText.render(report, colour: Self.stdoutIsTerminal))
            if let html { Console.line("HTML report written to \(html).") }
            Console.line(String(format: "Done in %.2f s.", seconds))
        }
        if failOnDrift && report.datasetDrift { throw ExitCode(1) }
    }

    /// `workingDirectory` resolves relative paths and finds the data repository (tests pass their own).
    func makeReport(workingDirectory: String = FileManager.default.currentDirectoryPath) async throws -> DriftReport {
        var mapping = ColumnMapping()
        if let mappingPath {
            guard FileManager.default.fileExists(atPath: mappingPath.hasPrefix("/") ? mappingPath : workingDirectory + "/" + mappingPath) else {
                throw CLIError("The column mapping file \(mappingPath) does not exist. Check the --columns path.")
            }
            mapping = try ColumnMapping.load(path: mappingPath.hasPrefix("/") ? mappingPath : workingDirectory + "/" + mappingPath)
        }
        let options = DriftOptions(mapping: mapping, stattest: stattest, threshold: threshold, driftShare: driftShare)
        try options.validate()

        let progress = DriftProgress(enabled: !quiet && (!json || DriftProgress.stderrIsTerminal))
        let resolver = DriftInputResolver(workingDirectory: workingDirectory, server: trackingURI)
        let referenceInput = try await resolver.resolve(try DriftInput(reference), role: "REF")
        defer { referenceInput.removeTemporary() }
        let currentInput = try await resolver.resolve(try DriftInput(current), role: "CUR")
        defer { currentInput.removeTemporary() }

        progress.phase("reading \(referenceInput.label)")
        let referenceSource = try openTable(path: referenceInput.path, label: referenceInput.label)
        progress.phase("reading \(currentInput.label)")
        let currentSource = try openTable(path: currentInput.path, label: currentInput.label)
        try Self.checkMapping(mapping, file: mappingPath, reference: referenceSource, current: currentSource)

        // The engine reports each reference column once; columns only in the current data are skipped unreported.
        progress.start(columns: referenceSource.columnNames.count)
        defer { progress.finish() }
        return try await DriftEngine.run(reference: referenceSource, current: currentSource, options: options,
                                         progress: { column in progress.columnDone(column) })
    }

    /// A mapping naming a column neither table has is almost always a typo; say so instead of ignoring it.
    static func checkMapping(_ mapping: ColumnMapping, file: String?, reference: any ColumnSource, current: any ColumnSource) throws {
        let present = Set(reference.columnNames).union(current.columnNames)
        var named = mapping.numerical + mapping.categorical + mapping.text + mapping.datetime + mapping.prediction + mapping.ignored
        if let target = mapping.target { named.append(target) }
        named += mapping.stattests.keys.sorted() + mapping.thresholds.keys.sorted()
        var seen = Set<String>()
        let unknown = named.filter { !present.contains($0) && seen.insert($0).inserted }
        guard !unknown.isEmpty else { return }
        let columns = reference.columnNames.prefix(30).map { "'\(Console.printable($0))'" }.joined(separator: ", ")
        throw CLIError("The column mapping \(file ?? "") names \(unknown.map { "'\(Console.printable($0))'" }.joined(separator: ", ")), "
            + "which is in neither \(reference.label) nor \(current.label). Columns of the reference: \(columns)\(reference.columnNames.count > 30 ? ", …" : ""). Fix the name in the mapping.")
    }

    static var stdoutIsTerminal: Bool {
        let environment = ProcessInfo.processInfo.environment
        return isatty(STDOUT_FILENO) == 1 && environment["NO_COLOR"] == nil && environment["TERM"] != "dumb"
    }
}

/// Per-column progress on stderr: a redrawn line on a terminal; on a pipe, a line per column once the
/// run has lasted long enough to be worth reporting (short runs stay silent).
final class DriftProgress: @unchecked Sendable {
    // Unchecked: mutable state is guarded by `lock`.
    private let lock = NSLock()
    private let enabled: Bool
    private let terminal = DriftProgress.stderrIsTerminal
    private var total = 0
    private var done = 0
    private let started = Date()
    private var lastDraw = Date.distantPast
    private var drawn = false

    static let quietPeriod: TimeInterval = 1

    static var stderrIsTerminal: Bool {
        let environment = ProcessInfo.processInfo.environment
        return isatty(STDERR_FILENO) == 1 && environment["CI"] == nil && environment["TERM"] != "dumb"
    }

    init(enabled: Bool) { self.enabled = enabled }

    func phase(_ text: String) {
        lock.lock()
        defer { lock.unlock() }
        guard enabled, terminal else { return }
        write("\r\u{1B}[Kdrift: " + Console.printable(text) + "…")
        drawn = true
    }

    func start(columns: Int) {
        lock.lock()
        defer { lock.unlock() }
        total = columns
    }

    func columnDone(_ column: String) {
        lock.lock()
        defer { lock.unlock() }
        done += 1
        guard enabled else { return }
        let now = Date()
        guard now.timeIntervalSince(started) >= Self.quietPeriod else { return }
        let text = "drift: \(done)/\(total) columns (\(Console.printable(column)))"
        if terminal {
            guard now.timeIntervalSince(lastDraw) >= 0.1 else { return }
            lastDraw = now
            write("\r\u{1B}[K" + text)
            drawn = true
        } else {
            write(text + "\n")
        }
    }

    func finish() {
        lock.lock()
        defer { lock.unlock() }
        if drawn { write("\r\u{1B}[K") }
        drawn = false
    }

    private func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}

/// A REF/CUR argument: a file path, or `dataset:<name>@<digest or prefix>`.
enum DriftInput: Equatable {
    case file(String)
    case dataset(name: String, digestPrefix: String)

    static let scheme = "dataset:"
    static let minimumPrefix = 8

    init(_ text: String) throws(DriftError) {
        guard text.hasPrefix(Self.scheme) else {
            guard !text.isEmpty else { throw DriftError("an empty path; give a CSV or JSON-lines file.") }
            self = .file(text)
            return
        }
        let body = text.dropFirst(Self.scheme.count)
        guard let at = body.lastIndex(of: "@"), at != body.startIndex else {
            throw DriftError("'\(text)' is not a dataset version; write dataset:<name>@<digest> (at least \(Self.minimumPrefix) hex characters of the digest).")
        }
        var digest = body[body.index(after: at)...].lowercased()
        if digest.hasPrefix(ContentDigest.prefix) { digest.removeFirst(ContentDigest.prefix.count) }
        guard digest.count >= Self.minimumPrefix, digest.count <= 64, digest.allSatisfy(\.isHexDigit) else {
            throw DriftError("'\(text)': the digest must be \(Self.minimumPrefix) to 64 hex characters (see `yard data add --name` or GET /api/v1/datasets/<name>).")
        }
        self = .dataset(name: String(body[..<at]), digestPrefix: digest)
    }
}

/// A table on disk to read, and the name reports give it.
struct ResolvedDriftInput: Sendable {
    var path: String
    var label: String
    /// A cache made for this run (no data repository around); removed afterwards.
    var temporaryFolder: String?

    func removeTemporary() {
        if let temporaryFolder { try? FileManager.default.removeItem(atPath: temporaryFolder) }
    }
}

/// Finds a dataset version's bytes: the local data repository's cache first (by the pointer files that
/// name the dataset, then by digest alone), else the yard server's registry and object store.
struct DriftInputResolver: Sendable {
    var workingDirectory: String
    var server: String?

    func resolve(_ input: DriftInput, role: String) async throws -> ResolvedDriftInput {
        switch input {
        case .file(let path):
            let absolute = path.hasPrefix("/") ? path : workingDirectory + "/" + path
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: absolute, isDirectory: &isDirectory) else {
                throw CLIError("\(role) file \(path) does not exist. Give a CSV or JSON-lines file, or dataset:<name>@<digest>.")
            }
            guard !isDirectory.boolValue else {
                throw CLIError("\(role) \(path) is a folder; give one CSV or JSON-lines file.")
            }
            return ResolvedDriftInput(path: absolute, label: path)
        case .dataset(let name, let prefix):
            let repository = try? DataRepository.find(from: workingDirectory)
            if let repository, let local = try local(name: name, prefix: prefix, in: repository) { return local }
            return try await remote(name: name, prefix: prefix, repository: repository)
        }
    }

    static func label(name: String, digest: String) -> String { "dataset:\(name)@\(digest)" }

    func local(name: String, prefix: String, in repository: DataRepository) throws -> ResolvedDriftInput? {
        let outputs = (try? repository.outputs([], from: repository.root)) ?? []
        let named = outputs.filter { $0.pointer.name == name && $0.pointer.digest.hex.hasPrefix(prefix) }
        let digests = Set(named.map(\.pointer.digest))
        if digests.count > 1 {
            throw CLIError("dataset:\(name)@\(prefix) matches \(digests.count) versions in this repository; give more digest characters.")
        }
        if let output = named.first {
            guard output.pointer.kind == .file else {
                throw CLIError("dataset:\(name)@\(prefix) is a folder (\(output.targetPath)); drift reads one CSV or JSON-lines file.")
            }
            if repository.cache.contains(output.pointer.digest) {
                return ResolvedDriftInput(path: repository.cache.path(for: output.pointer.digest),
                                          label: Self.label(name: name, digest: output.pointer.digest.hex))
            }
        }
        // Not named by a pointer here (e.g. registered from another clone): the cache is content-addressed,
        // so a unique digest prefix is enough.
        let matches = cachedObjects(prefix: prefix, in: repository.cache)
        if matches.count > 1 {
            throw CLIError("Digest prefix \(prefix) matches \(matches.count) objects in the local cache; give more characters.")
        }
        guard let digest = matches.first else { return nil }
        return ResolvedDriftInput(path: repository.cache.path(for: digest), label: Self.label(name: name, digest: digest.hex))
    }

    func cachedObjects(prefix: String, in cache: ObjectCache) -> [ContentDigest] {
        if let full = ContentDigest(prefix) { return cache.contains(full) ? [full] : [] }
        let folder = cache.root + "/" + prefix.prefix(2)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        let rest = prefix.dropFirst(2)
        return names.filter { $0.hasPrefix(rest) }.compactMap { ContentDigest(prefix.prefix(2) + $0) }
    }

    func remote(name: String, prefix: String, repository: DataRepository?) async throws -> ResolvedDriftInput {
        let connection = ServerConnection.resolve(server: server ?? repository?.config.server)
        let objects = try ServerRemote(baseURL: connection.baseURL)
        struct Listing: Decodable {
            struct Version: Decodable { var digest: String; var kind: String; var size: Int64 }
            var versions: [Version]
        }
        let listing: Listing
        do {
            // Asking about no objects only checks that the server answers: a stopped server fails at once
            // instead of after the HTTP client's retries.
            _ = try await objects.missing([])
            listing = try await connection.call(Listing.self, .GET, "/api/v1/datasets/" + ServerConnection.pathComponent(name))
        } catch let error as YardError {
            throw CLIError("dataset:\(name)@\(prefix) is not in the local data cache, and the server at \(connection.baseURL) could not provide it: \(error.message)")
        }
        let candidates = listing.versions.filter { (ContentDigest($0.digest)?.hex ?? "").hasPrefix(prefix) }
        guard let version = candidates.first, let digest = ContentDigest(version.digest) else {
            let known = listing.versions.compactMap { ContentDigest($0.digest)?.hex.prefix(12) }.joined(separator: ", ")
            throw CLIError("Dataset '\(name)' has no version with digest \(prefix) on \(connection.baseURL). Versions: \(known.isEmpty ? "none" : known).")
        }
        guard candidates.count == 1 else {
            throw CLIError("Digest prefix \(prefix) matches \(candidates.count) versions of dataset '\(name)'; give more characters.")
        }
        guard version.kind == "file" else {
            throw CLIError("dataset:\(name)@\(prefix) is a \(version.kind), not a file; drift reads one CSV or JSON-lines file.")
        }
        // Into the repository's cache when there is one (the next run finds it locally), else a
        // temporary cache removed after the run. Either way the bytes are verified against the digest.
        var temporaryFolder: String?
        let cache: ObjectCache
        if let repository {
            cache = repository.cache
        } else {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("yard-drift-\(UUID().uuidString)").path
            temporaryFolder = folder
            cache = try ObjectCache(root: folder)
        }
        var input = ResolvedDriftInput(path: cache.path(for: digest), label: Self.label(name: name, digest: digest.hex))
        input.temporaryFolder = temporaryFolder
        do {
            try await objects.download([TransferItem(digest: digest, size: version.size)], into: cache, progress: SilentProgress())
        } catch {
            input.removeTemporary()
            let message = (error as? YardError)?.message ?? "\(error)"
            throw CLIError("Downloading dataset:\(name)@\(prefix) from \(connection.baseURL) failed: \(message)")
        }
        return input
    }
}
