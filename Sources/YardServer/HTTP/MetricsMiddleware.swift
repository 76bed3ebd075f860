import Hummingbird
import Prometheus

/// Request counts by route and status and a latency histogram, kept in the application's own Prometheus
/// registry (not the process-global MetricsSystem) so every server and every test has its own figures.
struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let registry: PrometheusCollectorRegistry

    static var latencyBuckets: [Duration] {
        [.microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2),
         .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
         .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10)]
    }

    static var requests: MetricNameDescriptor {
        MetricNameDescriptor(namespace: "yard", metricName: "http_requests", unitName: "total",
                             helpText: "HTTP requests answered, by method, route and status.")
    }
    static var duration: MetricNameDescriptor {
        MetricNameDescriptor(namespace: "yard", metricName: "http_request_duration", unitName: "seconds",
                             helpText: "Time to answer an HTTP request, by method and route.")
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        // The matched route pattern keeps label cardinality bounded; unmatched paths share one label.
        let route = context.endpointPath ?? "unmatched"
        let labels = [("method", request.method.rawValue), ("route", route), ("status", String(response.status.code))]
        registry.makeCounter(descriptor: Self.requests, labels: labels).increment()
        registry.makeDurationHistogram(
            descriptor: Self.duration,
            labels: [("method", request.method.rawValue), ("route", route)],
            buckets: Self.latencyBuckets
        ).record(ContinuousClock.now - start)
        return response
    }
}
