/// Command-line options of yard-loadgen. Parsed by hand: the tool has six flags and should not pull a
/// parser library into a benchmark binary.
struct Options: Sendable {
    enum Length: Sendable {
        case runs(Int)
        case seconds(Double)
    }

    var baseURL = "http://127.0.0.1:5000"
    var concurrency = 8
    var length = Length.runs(1000)
    var warmupRuns: Int?
    var experimentID: String?
    var metricKeys = 2
    var stepsPerKey = 100
    var eventLoopThreads = 1
    var waitForGoAfterWarmup = false

    var pointsPerRun: Int { metricKeys * stepsPerKey }
    var effectiveWarmupRuns: Int { warmupRuns ?? 2 * concurrency }

    static let usage = """
        usage: yard-loadgen --url URL [--concurrency N] [--runs M | --duration SECONDS] [--warmup W]
                            [--experiment-id ID] [--keys K] [--steps S] [--threads T] [--wait-for-go]

        Drives an MLflow REST server: each run is POST runs/create, POST runs/log-batch with K x S metric
        points (default 2 x 100 = 200), POST runs/update status FINISHED. N runs are in flight at once,
        over a pool of N keep-alive HTTP/1.1 connections.

          --url            server root, e.g. http://127.0.0.1:5000 (default)
          --concurrency    runs in flight and pooled connections (default 8)
          --runs           runs in the timed phase (default 1000)
          --duration       instead of --runs: keep starting runs for this many seconds
          --warmup         untimed runs before the timed phase (default 2 x concurrency)
          --experiment-id  log into this experiment instead of creating a new one
          --keys, --steps  metric keys per run and points per key (K x S <= 1000, MLflow's batch limit)
          --threads        client event-loop threads (default 1)
          --wait-for-go    after the warm-up print "warm" on stdout and wait for a line on stdin, so a
                           caller can sample the server's CPU exactly around the timed phase

        Prints one JSON object on stdout and a one-line summary on stderr. Exit status 0 when every
        request succeeded, 1 when some failed, 2 on bad arguments or setup failure.
        """

    static func parse(_ arguments: [String]) throws(UsageError) -> Options {
        var options = Options()
        var remaining = arguments[...]
        func value(for flag: String) throws(UsageError) -> String {
            guard let next = remaining.popFirst() else { throw UsageError("\(flag) needs a value") }
            return next
        }
        func positiveInt(_ flag: String) throws(UsageError) -> Int {
            let text = try value(for: flag)
            guard let number = Int(text), number > 0 else {
                throw UsageError("\(flag) must be a positive integer, got '\(text)'")
            }
            return number
        }
        while let flag = remaining.popFirst() {
            switch flag {
            case "--url": options.baseURL = try value(for: flag)
            case "--concurrency": options.concurrency = try positiveInt(flag)
            case "--runs": options.length = .runs(try positiveInt(flag))
            case "--duration":
                let text = try value(for: flag)
                guard let seconds = Double(text), seconds > 0, seconds.isFinite else {
                    throw UsageError("--duration must be a positive number of seconds, got '\(text)'")
                }
                options.length = .seconds(seconds)
            case "--warmup":
                let text = try value(for: flag)
                guard let runs = Int(text), runs >= 0 else {
                    throw UsageError("--warmup must be a non-negative integer, got '\(text)'")
                }
                options.warmupRuns = runs
            case "--experiment-id":
                let id = try value(for: flag)
                guard !id.isEmpty, id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) else {
                    throw UsageError("--experiment-id must be letters, digits or '-', got '\(id)'")
                }
                options.experimentID = id
            case "--keys": options.metricKeys = try positiveInt(flag)
            case "--steps": options.stepsPerKey = try positiveInt(flag)
            case "--threads": options.eventLoopThreads = try positiveInt(flag)
            case "--wait-for-go": options.waitForGoAfterWarmup = true
            case "-h", "--help": throw UsageError(nil)
            default: throw UsageError("unknown argument '\(flag)'")
            }
        }
        if options.baseURL.hasSuffix("/") { options.baseURL.removeLast() }
        guard options.baseURL.hasPrefix("http://") || options.baseURL.hasPrefix("https://") else {
            throw UsageError("--url must start with http:// or https://, got '\(options.baseURL)'")
        }
        guard options.pointsPerRun <= 1000 else {
            throw UsageError("--keys x --steps is \(options.pointsPerRun); MLflow accepts at most 1000 metrics per batch")
        }
        return options
    }
}

struct UsageError: Error {
    /// nil when the user asked for help.
    let message: String?
    init(_ message: String?) { self.message = message }
}
