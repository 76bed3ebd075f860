import ArgumentParser
import Foundation
import YardData

struct DataGCCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gc",
        abstract: "Delete cache objects no version uses, and temporary files of interrupted commands.",
        discussion: """
            By default gc keeps everything any commit in the git repository refers to (every commit \
            reachable from any branch, tag or other ref, like DVC's --all-commits) plus the work tree's \
            pointer files: only data no version references is deleted. Narrower scopes are opt-in and delete \
            more: --workspace keeps only the work tree's data; --all-branches and --all-tags keep the work \
            tree plus the tip of every branch / every tag (combine them as you like).

            gc takes the repository lock (.yard/tmp/lock) exclusively. If another yard command (add, \
            checkout, pull, fetch, push or another gc) is running in the repository, gc fails after about two seconds with \
            "The repository is busy" and removes nothing: run it again afterwards. Commands started while gc \
            runs wait for it to finish.

            Use --dry-run first: it removes nothing and reports how many objects and bytes would go.

            Examples:
              yard data gc --dry-run
              yard data gc
              yard data gc --all-branches --all-tags --dry-run
              yard data gc --workspace
            """)

    @Flag(name: .customLong("workspace"), help: "Keep only the data of the work tree's pointer files (deletes every other version's data).")
    var workspace = false

    @Flag(name: .customLong("all-branches"), help: "Keep the work tree's data and that of the tip of every local branch (instead of every commit).")
    var allBranches = false

    @Flag(name: .customLong("all-tags"), help: "Keep the work tree's data and that of every tag (instead of every commit).")
    var allTags = false

    @Flag(name: .customLong("all-commits"), help: "Keep data referenced by any commit reachable from any ref (the default; may be combined with nothing else).")
    var allCommits = false

    @Flag(name: .customLong("dry-run"), help: "Report what would be removed and the bytes it would free; remove nothing.")
    var dryRun = false

    func validate() throws {
        if workspace && (allBranches || allTags || allCommits) {
            throw ValidationError("--workspace keeps only the work tree's data; it cannot be combined with --all-branches, --all-tags or --all-commits.")
        }
        if allCommits && (allBranches || allTags) {
            throw ValidationError("--all-commits (the default) already keeps every branch and tag; drop --all-branches / --all-tags, or drop --all-commits to keep only their tips.")
        }
    }

    var scope: GCScope {
        if workspace { return .workspace }
        if allBranches || allTags { return GCScope(allBranches: allBranches, allTags: allTags) }
        return .everyCommit
    }

    func run() async throws {
        try DataCLI.reportingErrors {
            let repository = try DataCLI.repository()
            let scope = self.scope
            let result = try repository.collectGarbage(scope: scope, dryRun: dryRun, temporaryAge: 60,
                                                       from: DataCLI.workingDirectory)
            let verb = dryRun ? "Would remove" : "Removed"
            let kept: String
            if scope == .workspace {
                kept = "the work tree's pointer files"
            } else {
                kept = "the work tree and \(result.commitsScanned) commit(s)"
            }
            let temporaries = dryRun ? "" : "; \(result.removedTemporaries) stale temporary files removed"
            Console.line("\(verb) \(result.removedObjects) objects (\(DataCLI.size(result.removedBytes))), kept \(result.keptObjects) used by \(kept)\(temporaries).")
        }
    }
}
