import Foundation
import YardBlobs
import YardCore

/// The artifact browser of a run: `/ui/runs/<id>/artifacts?path=` lists a folder or previews a file, and
/// `/ui/runs/<id>/artifact?path=` serves a file's bytes. Artifacts are reached only through the run's
/// artifact location and the server's `ArtifactRoots` (the same path checks as the artifact API), and the
/// stores do their blocking reads on NIO's thread pool.
enum ArtifactPages {
    /// Entries listed per folder at most.
    static let listLimit = 1000
    /// Entries shown on the run page itself.
    static let sectionLimit = 25
    /// The largest file the raw endpoint serves (it answers from memory); larger ones go through the API.
    static let rawLimit = 64 << 20

    // MARK: Paths

    /// The `path` query checked where it is decoded: relative, `/`-separated, no empty, `.` or `..`
    /// segments, no backslash or NUL (the store checks again where it is used). Empty means the root.
    static func checkedPath(_ text: String?) throws(WebError) -> String {
        guard let text, !text.isEmpty else { return "" }
        let refuse = WebError.badRequest("Invalid artifact path '\(text)': use a path relative to the run's artifacts, without '..', '.', empty segments or a leading '/'.")
        if text.hasPrefix("/") || text.contains("\\") || text.contains("\0") { throw refuse }
        for segment in text.split(separator: "/", omittingEmptySubsequences: false) where segment.isEmpty || segment == "." || segment == ".." {
            throw refuse
        }
        do {
            try LocalArtifactStore.validate(text)
        } catch {
            throw refuse
        }
        return text
    }

    static func locate(_ run: Run, _ path: String, _ services: WebServices) throws -> (store: any ArtifactStore, path: String) {
        try services.artifacts.locate(run.info.artifactUri, path)
    }

    static func parent(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "" }
        return String(path[..<slash])
    }

    static func name(_ path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? path
    }

    // MARK: The run page's section

    struct RootListing: Sendable {
        var entries: [ArtifactEntry]
        var problem: String?
    }

    static func rootListing(_ run: Run, _ services: WebServices) async -> RootListing {
        do {
            let (store, path) = try locate(run, "", services)
            return RootListing(entries: try await store.list(path) ?? [])
        } catch {
            return RootListing(entries: [], problem: "The artifacts could not be listed: \(WebError.from(error).message)")
        }
    }

    static func section(_ run: Run, listing: RootListing, into html: inout HTML) {
        html.element("section", [.id("artifacts")]) { section in
            section.element("h2", text: "Artifacts")
            if let problem = listing.problem {
                section.element("p", [.class("error-message")], text: problem)
                return
            }
            if listing.entries.isEmpty {
                PageLayout.empty("No artifacts logged.", into: &section)
                return
            }
            entryTable(run, folder: "", entries: Array(listing.entries.prefix(sectionLimit)), current: nil, into: &section)
            section.element("p") { p in
                p.link(WebLinks.runArtifacts(run.info.runId), [.id("browse-artifacts")],
                       text: listing.entries.count > sectionLimit ? "Browse all \(listing.entries.count) entries" : "Open the artifact browser")
            }
        }
    }

    // MARK: The browser

    static func browser(_ request: WebRequest, _ services: WebServices) async throws -> WebResponse {
        let run = try await RunPages.loadRun(request, services)
        let path = try checkedPath(request.query("path"))
        let (store, location) = try locate(run, path, services)
        let entry = try await store.entry(at: location)
        let experimentName = await RunPages.experimentName(run, services)
        let title = "Artifacts of " + RunPages.title(run)
        let crumbs = RunPages.crumbs(run, experimentName: experimentName, last: [PageLayout.Crumb("Artifacts")])

        guard let entry else {
            if path.isEmpty {
                return PageLayout.page(title: title, section: .experiments, crumbs: crumbs) { main in
                    RunPages.deletedBanner(run, into: &main)
                    PageLayout.empty("This run has no artifacts yet.", into: &main)
                }
            }
            throw WebError.notFound("Run '\(RunPages.title(run))' has no artifact '\(path)'. Browse its artifacts from the top to find it.")
        }
        if entry.isDirectory {
            let entries = try await store.list(location) ?? []
            return PageLayout.page(title: title, section: .experiments, crumbs: crumbs) { main in
                RunPages.deletedBanner(run, into: &main)
                pathTrail(run, path: path, into: &main)
                if entries.isEmpty {
                    PageLayout.empty("This folder is empty.", into: &main)
                } else {
                    entryTable(run, folder: path, entries: Array(entries.prefix(listLimit)), current: nil, into: &main)
                    if entries.count > listLimit {
                        main.element("p", [.class("muted limit-note")], text: "Showing the first \(listLimit) of \(entries.count) entries.")
                    }
                }
            }
        }

        // A file: its folder on the left, the preview on the right.
        let folder = parent(path)
        let (folderStore, folderLocation) = try locate(run, folder, services)
        let siblings = try await folderStore.list(folderLocation) ?? []
        var preview = HTML(reservingCapacity: 16_384)
        await ArtifactPreview.render(run: run, path: path, location: location, name: entry.name, size: entry.size ?? 0, store: store, into: &preview)
        return PageLayout.page(title: title, section: .experiments, crumbs: crumbs) { main in
            RunPages.deletedBanner(run, into: &main)
            pathTrail(run, path: path, into: &main)
            main.element("div", [.class("artifact-layout")]) { layout in
                layout.element("div", [.class("artifact-folder")]) { left in
                    entryTable(run, folder: folder, entries: Array(siblings.prefix(listLimit)), current: entry.name, into: &left)
                }
                layout.element("div", [.class("artifact-file")]) { right in
                    right.element("div", [.class("artifact-file-head")]) { head in
                        head.element("strong", [.class("artifact-name")], text: entry.name)
                        head.element("span", [.class("muted")], text: " · " + Format.bytes(entry.size ?? 0) + " · ")
                        head.link(WebLinks.runArtifactRaw(run.info.runId, path: path), [.id("artifact-download")], text: "Download")
                    }
                    right.append(preview)
                }
            }
        }
    }

    /// `artifacts / folder / file`, each part a link to its folder.
    static func pathTrail(_ run: Run, path: String, into html: inout HTML) {
        html.element("nav", [.class("artifact-path"), Attribute("aria-label", "artifact path")]) { nav in
            let parts = path.split(separator: "/").map(String.init)
            if parts.isEmpty {
                nav.element("span", text: "artifacts")
                return
            }
            nav.link(WebLinks.runArtifacts(run.info.runId), text: "artifacts")
            for (index, part) in parts.enumerated() {
                nav.element("span", [.class("sep")], text: "/")
                if index == parts.count - 1 {
                    nav.element("span", text: part)
                } else {
                    nav.link(WebLinks.runArtifacts(run.info.runId, path: parts[...index].joined(separator: "/")), text: part)
                }
            }
        }
    }

    static func entryTable(_ run: Run, folder: String, entries: [ArtifactEntry], current: String?, into html: inout HTML) {
        html.element("div", [.class("table-wrap")]) { wrap in
            wrap.element("table", [.id("artifact-list"), .class("grid")]) { table in
                table.element("thead") { head in
                    head.element("tr") { tr in
                        tr.element("th", text: "Name")
                        tr.element("th", [.class("num")], text: "Size")
                    }
                }
                table.element("tbody") { body in
                    if !folder.isEmpty {
                        body.element("tr", [.class("up")]) { tr in
                            tr.element("td") { $0.link(WebLinks.runArtifacts(run.info.runId, path: parent(folder)), [.class("artifact-up")], text: "..") }
                            tr.element("td", [.class("num")], text: "")
                        }
                    }
                    for entry in entries {
                        let path = folder.isEmpty ? entry.name : folder + "/" + entry.name
                        body.element("tr", [Attribute("data-path", path), .class(entry.name == current ? "current" : nil)]) { tr in
                            tr.element("td", [.class("wrap")]) { td in
                                td.element("a", [.class("artifact-link " + (entry.isDirectory ? "folder" : "file")),
                                                 Attribute("href", WebLinks.runArtifacts(run.info.runId, path: path))],
                                           text: entry.isDirectory ? entry.name + "/" : entry.name)
                            }
                            tr.element("td", [.class("num")], text: entry.size.map(Format.bytes) ?? "")
                        }
                    }
                }
            }
        }
    }

    // MARK: Raw bytes

    /// The file's bytes with a content type that cannot run script here: images as images, all text as
    /// text/plain, anything else as a download. `nosniff` keeps browsers from guessing otherwise, and the
    /// `sandbox` policy makes even a directly opened SVG an inert document in an opaque origin.
    static func raw(_ request: WebRequest, _ services: WebServices) async throws -> WebResponse {
        let run = try await RunPages.loadRun(request, services)
        let path = try checkedPath(request.query("path"))
        guard !path.isEmpty else { throw WebError.badRequest("Say which file to download: add ?path=<file> to the address.") }
        let (store, location) = try locate(run, path, services)
        guard let entry = try await store.entry(at: location) else {
            throw WebError.notFound("Run '\(RunPages.title(run))' has no artifact '\(path)'.")
        }
        if entry.isDirectory { throw WebError.badRequest("'\(path)' is a folder; open it in the artifact browser instead.") }
        if let size = entry.size, size > Int64(rawLimit) {
            throw WebError(status: 413, "'\(path)' is \(Format.bytes(size)), more than the UI serves (\(Format.bytes(Int64(rawLimit)))). Download it with `mlflow artifacts download` or the artifacts API.")
        }
        let bytes = try await store.readAll(location, upTo: rawLimit)
        let kind = ArtifactKind(fileName: entry.name)
        return WebResponse(contentType: kind.rawContentType, body: bytes, headers: [
            ("X-Content-Type-Options", "nosniff"),
            ("Content-Security-Policy", "sandbox"),
            ("Content-Disposition", contentDisposition(entry.name, inline: kind.servedInline)),
        ])
    }

    /// `inline; filename="safe.txt"; filename*=UTF-8''%E2%9C%93.txt` (RFC 6266): the plain name keeps to
    /// printable ASCII without quotes or backslashes; the encoded one carries the real name.
    static func contentDisposition(_ name: String, inline: Bool) -> String {
        let plain = String(name.unicodeScalars.map { scalar -> Character in
            scalar.isASCII && scalar.value >= 0x20 && scalar.value < 0x7F && scalar != "\"" && scalar != "\\" && scalar != ";"
                ? Character(scalar) : "_"
        })
        return (inline ? "inline" : "attachment") + "; filename=\"\(plain)\"; filename*=UTF-8''" + WebLinks.component(name)
    }
}
