import ArgumentParser

/// The `yard` command line: one binary for the server and every client-side tool.
public struct YardCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "yard",
        abstract: "Modelyard: data, experiments, models and serving for machine learning, in one binary.",
        discussion: """
            Start the tracking server (MLflow-compatible) on the embedded store:
              yard server
            then point any MLflow client at it:
              MLFLOW_TRACKING_URI=http://127.0.0.1:5000 python train.py
            Run the pipeline described in yard.yaml (stale stages only, in parallel, each a tracked run):
              yard init && yard run && yard status
            Serve a registered model (an ONNX flavor) natively, or deploy it inside the server:
              yard serve models:/churn@production --port 5001
              yard deploy create churn models:/churn@production
            """,
        subcommands: [ServerCommand.self, DatabaseCommand.self, InitCommand.self, DataCommand.self, RunCommand.self, PipelineStatusCommand.self,
                      DagCommand.self, ReproduceCommand.self, MetricsCommand.self, ImportCommand.self, ModelCommand.self, LineageCommand.self,
                      ServeCommand.self,
                      DeployCommand.self,
                      PredictCommand.self,
                      DriftCommand.self, QualityCommand.self, MonitorCommand.self])

    public init() {}

    /// Entry point for the executable: parses the process arguments and runs the chosen command.
    public static func start() async {
        await main()
    }
}
