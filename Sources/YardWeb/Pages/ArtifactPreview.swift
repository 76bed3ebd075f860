import Foundation
import NIOCore
import YardBlobs
import YardCore
import YardJSON

/// What kind of file an artifact is, from its name: decides the preview and the content type its raw
/// bytes are served with. Nothing is ever served as HTML; text of every kind goes out as text/plain.
enum ArtifactKind: Equatable {
    case image(mediaType: String)
    case json
    case yaml
    case mlmodel
    case table(separator: Unicode.Scalar)
    case text
    /// Anything else: sniffed for text when previewed, downloaded as bytes otherwise.
    case other

    init(fileName: String) {
        if fileName == "MLmodel" {
            self = .mlmodel
            return
        }
        let lower = fileName.lowercased()
        let ext = lower.split(separator: ".").count > 1 ? String(lower.split(separator: ".").last!) : ""
        switch ext {
        case "png": self = .image(mediaType: "image/png")
        case "jpg", "jpeg": self = .image(mediaType: "image/jpeg")
        case "gif": self = .image(mediaType: "image/gif")
        case "webp": self = .image(mediaType: "image/webp")
        case "bmp": self = .image(mediaType: "image/bmp")
        case "svg": self = .image(mediaType: "image/svg+xml")
        case "json", "jsonl", "ipynb": self = ext == "jsonl" ? .text : .json
        case "yaml", "yml": self = .yaml
        case "csv": self = .table(separator: ",")
        case "tsv", "tab": self = .table(separator: "\t")
        case "txt", "log", "py", "md", "markdown", "rst", "sh", "bash", "r", "sql", "toml", "ini", "cfg", "conf", "env", "xml", "html",
             "htm", "js", "ts", "java", "scala", "go", "rs", "swift", "c", "h", "cpp", "hpp", "rb", "jl", "tex", "properties", "gitignore",
             "dockerfile", "requirements", "lock", "out", "err":
            self = .text
        default:
            self = ["requirements.txt", "conda.yaml", "python_env.yaml", "dockerfile", "makefile", "license", "readme"].contains(lower)
                ? .text : .other
        }
    }

    /// Served inline (images and text, which the browser shows without running anything), or as a download.
    var servedInline: Bool {
        switch self {
        case .other: false
        default: true
        }
    }

    /// The content type of the raw bytes. HTML, XML and SVG text go out as text/plain (SVG as an image only,
    /// with the sandbox policy on the response), so no artifact can run script in the UI's origin.
    var rawContentType: String {
        switch self {
        case .image(let mediaType): mediaType
        case .json, .yaml, .mlmodel, .table, .text: "text/plain; charset=utf-8"
        case .other: "application/octet-stream"
        }
    }
}

/// A preview of one file: read at most `limit` bytes from the store (never the whole of a large file)
/// and show them as the file's kind asks.
enum ArtifactPreview {
    static let limit = 256 * 1024
    static let maxTableRows = 200
    static let maxTableColumns = 100

    /// The first `limit` bytes of the artifact, pulled chunk by chunk (the store reads on its thread pool).
    static func prefix(_ store: any ArtifactStore, _ path: String, limit: Int = limit) async throws -> [UInt8] {
        let download = try await store.read(path)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Int(min(download.size, Int64(limit))))
        for try await chunk in download.chunks {
            bytes.append(contentsOf: chunk.readableBytesView.prefix(limit - bytes.count))
            if bytes.count >= limit { break }
        }
        return bytes
    }

    /// True for bytes that read as UTF-8 text: no NUL in the first 8 KiB, and valid UTF-8 apart from a
    /// character cut off at the end of a prefix.
    static func looksLikeText(_ bytes: [UInt8]) -> Bool {
        if bytes.prefix(8192).contains(0) { return false }
        var end = bytes.count
        // Drop a trailing partial sequence: at most three continuation bytes after a lead byte.
        var back = 0
        while back < 3, end - back - 1 >= 0, bytes[end - back - 1] & 0xC0 == 0x80 { back += 1 }
        if end - back - 1 >= 0, bytes[end - back - 1] >= 0xC0 { end = end - back - 1 }
        return String(validating: bytes[..<end], as: UTF8.self) != nil
    }

    /// `path` is the file's path in the run's artifacts (for links); `location` the same file inside `store`.
    static func render(run: Run, path: String, location: String, name: String, size: Int64, store: any ArtifactStore,
                       into html: inout HTML) async {
        let kind = ArtifactKind(fileName: name)
        let rawURL = WebLinks.runArtifactRaw(run.info.runId, path: path)
        var preview = HTML(reservingCapacity: 8192)
        if case .image = kind {
            preview.void("img", [.class("preview"), Attribute("src", rawURL), Attribute("alt", name)])
        } else {
            do {
                let bytes = try await prefix(store, location)
                let truncated = Int64(bytes.count) < size
                if kind == .other && !looksLikeText(bytes) {
                    binary(size: size, rawURL: rawURL, into: &preview)
                } else {
                    textual(kind, bytes: bytes, truncated: truncated, size: size, into: &preview)
                }
            } catch {
                preview.element("p", [.class("error-message")], text: "Could not read this file: \(WebError.from(error).message)")
            }
        }
        html.element("div", [.id("artifact-preview"), .class("artifact-preview"), Attribute("data-kind", kind.name)]) { div in
            div.append(preview)
        }
    }

    static func binary(size: Int64, rawURL: String, into html: inout HTML) {
        html.element("p", [.class("binary-note")]) { p in
            p.text("Binary file, \(Format.bytes(size)). There is no preview for it; ")
            p.link(rawURL, text: "download it")
            p.text(".")
        }
    }

    static func textual(_ kind: ArtifactKind, bytes: [UInt8], truncated: Bool, size: Int64, into html: inout HTML) {
        let text = String(decoding: bytes, as: UTF8.self)
        if truncated {
            html.element("p", [.class("muted truncated-note")],
                         text: "Showing the first \(Format.bytes(Int64(bytes.count))) of \(Format.bytes(size)); download the file for the rest.")
        }
        switch kind {
        case .json where !truncated:
            do {
                let value = try JSONParser.parse(bytes)
                html.element("pre", [.class("preview json")], text: ArtifactFormats.prettyJSON(value))
            } catch {
                html.element("p", [.class("muted")], text: "Not valid JSON (\(error)); shown as text.")
                html.element("pre", [.class("preview")], text: text)
            }
        case .table(let separator):
            table(text, separator: separator, complete: !truncated, into: &html)
        case .mlmodel:
            mlmodel(text, into: &html)
            html.element("pre", [.class("preview yaml")], text: text)
        default:
            html.element("pre", [.class("preview")], text: text)
        }
    }

    static func table(_ text: String, separator: Unicode.Scalar, complete: Bool, into html: inout HTML) {
        let records = ArtifactFormats.records(text, separator: separator, maxRecords: maxTableRows + 1, complete: complete)
        guard let header = records.first else {
            PageLayout.empty("The file is empty.", into: &html)
            return
        }
        let rows = records.dropFirst()
        let width = min(max(header.count, rows.map(\.count).max() ?? 0), maxTableColumns)
        html.element("div", [.class("table-wrap")]) { wrap in
            wrap.element("table", [.id("csv-preview"), .class("grid sortable")]) { table in
                table.element("thead") { head in
                    head.element("tr") { tr in
                        for index in 0..<width { tr.element("th", text: index < header.count ? header[index] : "") }
                    }
                }
                table.element("tbody") { body in
                    for row in rows {
                        body.element("tr") { tr in
                            for index in 0..<width {
                                let cell = index < row.count ? row[index] : ""
                                tr.element("td", [Attribute("data-sort", Double(cell) != nil ? cell : nil)], text: cell)
                            }
                        }
                    }
                }
            }
        }
        var notes: [String] = ["\(rows.count) row\(rows.count == 1 ? "" : "s")"]
        if rows.count >= maxTableRows { notes[0] = "The first \(maxTableRows) rows" }
        if header.count > maxTableColumns { notes.append("the first \(maxTableColumns) of \(header.count) columns") }
        html.element("p", [.class("muted table-note")], text: notes.joined(separator: ", ") + ".")
    }

    static func mlmodel(_ text: String, into html: inout HTML) {
        let summary = ArtifactFormats.modelSummary(text)
        html.element("div", [.class("mlmodel-summary")]) { div in
            if !summary.facts.isEmpty {
                div.element("table", [.class("kv"), .id("mlmodel-facts")]) { table in
                    for (key, value) in summary.facts {
                        table.element("tr") { tr in
                            tr.element("th", text: key)
                            tr.element("td", [.class("wrap")], text: value)
                        }
                    }
                }
            }
            div.element("h3", text: "Flavors")
            if summary.flavors.isEmpty {
                PageLayout.empty("No flavors listed.", into: &div)
            } else {
                div.element("ul", [.id("mlmodel-flavors")]) { list in
                    for flavor in summary.flavors {
                        list.element("li") { li in
                            li.element("code", text: flavor.name)
                            if !flavor.details.isEmpty {
                                li.element("span", [.class("muted")], text: " " + flavor.details.map { "\($0.0): \($0.1)" }.joined(separator: ", "))
                            }
                        }
                    }
                }
            }
            div.element("h3", text: "Signature")
            if let problem = summary.signatureProblem { div.element("p", [.class("muted")], text: problem) }
            if summary.signature.isEmpty {
                PageLayout.empty("No signature recorded.", into: &div)
            } else {
                div.element("table", [.id("mlmodel-signature"), .class("grid")]) { table in
                    table.element("thead") { head in
                        head.element("tr") { tr in
                            for title in ["", "Name", "Type"] { tr.element("th", text: title) }
                        }
                    }
                    table.element("tbody") { body in
                        for column in summary.signature {
                            body.element("tr") { tr in
                                tr.element("td", [.class("muted")], text: column.role)
                                tr.element("td", text: column.name)
                                tr.element("td") { $0.element("code", text: column.type) }
                            }
                        }
                    }
                }
            }
        }
    }
}

extension ArtifactKind {
    /// For `data-kind` on the preview (tests and styles).
    var name: String {
        switch self {
        case .image: "image"
        case .json: "json"
        case .yaml: "yaml"
        case .mlmodel: "mlmodel"
        case .table: "table"
        case .text: "text"
        case .other: "other"
        }
    }
}
