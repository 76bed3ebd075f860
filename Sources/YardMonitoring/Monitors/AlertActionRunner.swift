import YardCore
import YardJSON
import YardStore

/// Runs the actions of rules that started firing, after the evaluation committed and off the caller's
/// path. Every attempt is recorded as an `ActionOutcomeRecord`; nothing is thrown to the caller.
final class AlertActionRunner: Sendable {
    let store: any MonitoringStore
    let webhooks: (any WebhookSender)?
    let pipelines: (any PipelineTrigger)?
    let options: MonitorServiceOptions
    private let running = Locked<[Int: Task<Void, Never>]>([:])
    private let nextTask = Locked(0)

    init(store: any MonitoringStore, webhooks: (any WebhookSender)?, pipelines: (any PipelineTrigger)?, options: MonitorServiceOptions) {
        self.store = store
        self.webhooks = webhooks
        self.pipelines = pipelines
        self.options = options
    }

    func launch(spec: MonitorSpec, evaluation: MonitorEvaluationRecord, events: [AlertEventRecord]) {
        for event in events {
            guard let rule = spec.rules.first(where: { $0.name == event.rule }) else { continue }
            for actionName in rule.actions {
                guard let action = spec.actions[actionName] else { continue }
                let id = nextTask.withLock { value in
                    value += 1
                    return value
                }
                // Registered before it can finish, so `waitForAll` never misses it.
                running.withLock { tasks in
                    tasks[id] = Task { [self] in
                        await perform(action, named: actionName, rule: rule, event: event, evaluation: evaluation)
                        _ = running.withLock { $0.removeValue(forKey: id) }
                    }
                }
            }
        }
    }

    func waitForAll() async {
        while true {
            let pending = running.withLock { Array($0.values) }
            if pending.isEmpty { return }
            for task in pending { await task.value }
        }
    }

    private func perform(_ action: MonitorSpec.Action, named actionName: String, rule: AlertRule, event: AlertEventRecord,
                         evaluation: MonitorEvaluationRecord) async {
        switch action {
        case .webhook(let url, let retries, let timeoutSeconds):
            let body = JSONWriter.bytes(Self.payload(rule: rule, event: event, evaluation: evaluation))
            await sendWebhook(url: url, body: body, policy: RetryPolicy(retries: retries, baseDelay: options.retryBaseDelay,
                                                                         maxDelay: options.retryMaxDelay),
                              timeout: .seconds(timeoutSeconds), event: event)
        case .pipeline(let workspace, let stage, let timeoutSeconds):
            let target = "\(workspace): \(stage)"
            guard let pipelines else {
                await record(event, action: "pipeline", target: target, attempt: 1, succeeded: false,
                             detail: "This server has no pipeline runner configured; the stage was not run.")
                return
            }
            let outcome = await pipelines.run(workspace: workspace, stage: stage, timeout: .seconds(timeoutSeconds))
            let detail: String
            if outcome.timedOut {
                detail = "timed out after \(timeoutSeconds) s and was stopped" + Self.tail(outcome.outputTail)
            } else if let code = outcome.exitCode {
                detail = "exit \(code)" + Self.tail(outcome.outputTail)
            } else {
                detail = "not started: " + outcome.outputTail
            }
            await record(event, action: "pipeline", target: target, attempt: 1, succeeded: outcome.succeeded, detail: detail)
        }
    }

    private func sendWebhook(url: String, body: [UInt8], policy: RetryPolicy, timeout: Duration, event: AlertEventRecord) async {
        guard let webhooks else {
            await record(event, action: "webhook", target: url, attempt: 1, succeeded: false,
                         detail: "This server has no webhook sender configured; nothing was sent.")
            return
        }
        for attempt in 1...policy.attempts {
            if attempt > 1 {
                do { try await Task.sleep(for: policy.delay(beforeAttempt: attempt)) } catch { return }
            }
            do {
                let status = try await webhooks.post(url: url, body: body, timeout: timeout)
                let succeeded = (200..<300).contains(status)
                await record(event, action: "webhook", target: url, attempt: attempt, succeeded: succeeded, detail: "HTTP \(status)")
                if succeeded { return }
            } catch {
                await record(event, action: "webhook", target: url, attempt: attempt, succeeded: false,
                             detail: MonitorService.message(error))
            }
        }
    }

    private func record(_ event: AlertEventRecord, action: String, target: String, attempt: Int, succeeded: Bool, detail: String) async {
        let outcome = ActionOutcomeRecord(eventId: event.id, monitor: event.monitor, action: action, target: target, attempt: attempt,
                                          outcome: succeeded ? "succeeded" : "failed", detail: String(detail.prefix(4_000)),
                                          timestamp: options.now())
        // A store that refuses the record leaves nothing else to tell; the action itself already ran.
        _ = try? await store.recordActionOutcome(outcome)
    }

    static func tail(_ output: String) -> String {
        output.isEmpty ? "" : ": " + output
    }

    /// The webhook body: what fired, and the evaluation that made it fire.
    static func payload(rule: AlertRule, event: AlertEventRecord, evaluation: MonitorEvaluationRecord) -> JSONValue {
        .object([
            ("monitor", .string(event.monitor)),
            ("rule", .string(rule.name)),
            ("state", .string(event.state)),
            ("value", event.value.map(JSONValue.double) ?? .null),
            ("condition", .string(rule.condition.description)),
            ("message", .string(event.message)),
            ("evaluation", .object([
                ("id", .int(evaluation.id)),
                ("evaluated_at", .int(evaluation.evaluatedAt)),
                ("window_start", .int(evaluation.windowStart)),
                ("window_end", .int(evaluation.windowEnd)),
                ("model_name", .string(evaluation.modelName)),
                ("model_version", .string(evaluation.modelVersion)),
                ("rows", .int(evaluation.rows)),
                ("labeled_rows", .int(evaluation.labeledRows)),
                ("status", .string(evaluation.status)),
                ("dataset_drift", .bool(evaluation.datasetDrift)),
                ("share_drifted", .double(evaluation.shareDrifted)),
            ])),
            ("timestamp", .int(event.timestamp)),
        ])
    }
}
