import NIOCore
import NIOPosix
import YardCLI

// The servers answer on NIO's event loops; running Swift concurrency's jobs on those same threads saves a
// thread hop (and a wake-up) per request, which is most of a small prediction's latency tail on few cores.
// It must happen on the main thread before any task starts, so it is decided here, from the subcommand.
if let command = CommandLine.arguments.dropFirst().first, command == "serve" || command == "server" {
    NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
}

await YardCommand.start()
