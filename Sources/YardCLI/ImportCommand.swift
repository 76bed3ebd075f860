import ArgumentParser
import Foundation
import YardCore
import YardPipelines

struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Turn a pipeline from another tool into a yard.yaml.",
        subcommands: [ImportDVCCommand.self])
}

struct ImportDVCCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dvc",
        abstract: "Translate a DVC pipeline (dvc.yaml, with its params.yaml) into yard.yaml.",
        discussion: """
            Stages, commands, deps, params, outs, metrics, foreach, matrix and vars are copied; what yard
            has no equivalent for (plots, artifacts, out-level remote/push, dvc.lock, .dvc files) is left
            out and printed as a warning with its line in dvc.yaml. params.yaml stays as it is: yard reads
            it too. dvc.lock is not imported, so the first `yard run` runs every stage once.

            Example:
              cd my-dvc-project
              yard import dvc                  # writes yard.yaml next to dvc.yaml
              yard dag                         # check the stages and their order
              yard run
            """)

    @Option(name: .customLong("from"), help: "The DVC pipeline file, or the folder that holds dvc.yaml.")
    var source = "dvc.yaml"

    @Option(name: .shortAndLong, help: "Where to write the pipeline (default: yard.yaml next to dvc.yaml).")
    var output: String?

    @Flag(help: "Replace an existing yard.yaml.")
    var force = false

    func run() throws {
        try DataCLI.reportingErrors {
            let written = try Self.importPipeline(from: source, to: output, force: force,
                                                  workingDirectory: FileManager.default.currentDirectoryPath)
            for note in written.result.notes {
                let line = note.line.map { ":\($0)" } ?? ""
                let stage = note.stage.map { "\($0): " } ?? ""
                Console.error("warning: \(written.sourceShown)\(line): \(Console.printable(stage + note.message))")
            }
            let stages = written.result.stages.count
            let warnings = written.result.notes.count
            Console.line("Wrote \(written.outputPath) (\(stages) stage\(stages == 1 ? "" : "s"), \(warnings) warning\(warnings == 1 ? "" : "s")).")
            Console.line("Next: `yard dag` to check it, then `yard run` to run it.")
        }
    }

    /// Reads the DVC pipeline, translates it and writes yard.yaml; refuses to replace an existing file
    /// unless `force`.
    static func importPipeline(from source: String, to output: String?, force: Bool,
                               workingDirectory: String) throws(YardError) -> (outputPath: String, sourceShown: String, result: DVCImportResult) {
        var sourcePath = absolute(source, in: workingDirectory)
        var sourceShown = source
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: sourcePath, isDirectory: &isFolder), isFolder.boolValue {
            sourcePath += "/dvc.yaml"
            sourceShown = (source as NSString).appendingPathComponent("dvc.yaml")
        }
        guard let text = try? String(contentsOfFile: sourcePath, encoding: .utf8) else {
            throw YardError.notFound("Cannot read \(sourcePath). Run `yard import dvc` in the folder that holds dvc.yaml, or pass --from path/to/dvc.yaml.")
        }
        let folder = (sourcePath as NSString).deletingLastPathComponent
        let outputPath = output.map { absolute($0, in: workingDirectory) } ?? folder + "/yard.yaml"
        if !force && FileManager.default.fileExists(atPath: outputPath) {
            throw YardError(.resourceAlreadyExists, "\(outputPath) already exists; it was left unchanged. Pass --force to replace it, or --output <file> to write somewhere else.")
        }

        var result = try DVCImport.translate(
            dvcYAML: text, sourceName: (sourcePath as NSString).lastPathComponent,
            otherFiles: filesAround(folder), readFile: { readSmallFile($0, in: folder) })
        let outputFolder = (outputPath as NSString).deletingLastPathComponent
        if URL(fileURLWithPath: outputFolder).standardizedFileURL != URL(fileURLWithPath: folder).standardizedFileURL {
            result.notes.append(DVCImportNote(line: nil, stage: nil, message: "\(outputPath) is not next to dvc.yaml, but its paths are still relative to \(folder): move it there, or adjust wdir"))
        }
        do {
            // Without --force the write itself refuses an existing file, so a file created meanwhile survives.
            try Data(result.yardYAML.utf8).write(to: URL(fileURLWithPath: outputPath),
                                                 options: force ? .atomic : .withoutOverwriting)
        } catch {
            if !force && FileManager.default.fileExists(atPath: outputPath) {
                throw YardError(.resourceAlreadyExists, "\(outputPath) already exists; it was left unchanged. Pass --force to replace it.")
            }
            throw YardError.invalid("Could not write \(outputPath): \(error.localizedDescription). Check that its folder exists and is writable.")
        }
        return (outputPath, sourceShown, result)
    }

    private static func absolute(_ path: String, in folder: String) -> String {
        path.hasPrefix("/") ? path : folder + "/" + path
    }

    /// Files under the pipeline's folder, relative to it, for spotting dvc.lock and `.dvc` files; hidden
    /// folders (.git, .dvc, .venv) and other bulky trees are skipped, and the walk stops after a cap.
    private static func filesAround(_ folder: String) -> [String] {
        let root = URL(fileURLWithPath: folder).standardizedFileURL
        guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isDirectoryKey],
                                                          options: [.skipsHiddenFiles]) else { return [] }
        let skipped: Set<String> = ["node_modules", "venv", "__pycache__", "site-packages"]
        var files: [String] = []
        var visited = 0
        while let url = walker.nextObject() as? URL, visited < 50_000 {
            visited += 1
            let isFolder = (try? url.resourceValues(forKeys: [.isDirectoryKey]).isDirectory) ?? false
            if isFolder {
                if skipped.contains(url.lastPathComponent) { walker.skipDescendants() }
                continue
            }
            let path = url.standardizedFileURL.path
            guard path.hasPrefix(root.path + "/") else { continue }
            files.append(String(path.dropFirst(root.path.count + 1)))
        }
        return files
    }

    /// params.yaml, vars files and `.dvc` files are small; anything large or outside the folder is skipped.
    private static func readSmallFile(_ relative: String, in folder: String) -> String? {
        guard !relative.hasPrefix("/"), !relative.split(separator: "/").contains("..") else { return nil }
        let path = folder + "/" + relative
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              let size = attributes[.size] as? NSNumber, size.intValue <= 4 << 20 else { return nil }
        return try? String(contentsOfFile: path, encoding: .utf8)
    }
}
