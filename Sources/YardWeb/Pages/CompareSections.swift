import YardCore

/// The compare page's list of runs (and, in CompareDiff, its difference table).
enum CompareSections {
    // MARK: Runs compared

    static func runList(_ context: CompareContext, into html: inout HTML) {
        let table = context.table
        html.element("section", [.id("compared-runs")]) { section in
            section.open("ol", [.class("compare-runs")])
            for (index, run) in table.runs.enumerated() {
                let info = run.info
                let deleted = info.lifecycleStage == .deleted
                section.open("li", [.class(deleted ? "deleted" : nil), Attribute("data-run-id", info.runId)])
                swatch(context.colour(ofRun: index), into: &section)
                section.element("a", [.class("run-link"), Attribute("href", WebLinks.run(info.runId))], text: table.name(ofRun: index))
                section.element("span", [.class("status status-" + info.status.rawValue)], text: info.status.rawValue)
                if deleted { section.element("span", [.class("badge deleted-badge")], text: "deleted") }
                section.element("a", [.class("muted"), Attribute("href", WebLinks.experiment(info.experimentId))],
                                text: context.experimentNames[info.experimentId] ?? info.experimentId)
                section.close("li")
            }
            section.close("ol")
        }
    }

    /// The run's colour as a small SVG square (a `style` attribute would break the page's CSP).
    static func swatch(_ colour: String, into html: inout HTML) {
        html.open("svg", [.class("run-swatch"), Attribute("width", "10"), Attribute("height", "10"), Attribute("viewBox", "0 0 10 10"),
                          Attribute("aria-hidden", "true")])
        html.void("rect", [Attribute("width", "10"), Attribute("height", "10"), Attribute("rx", "2"), Attribute("fill", colour)],
                  selfClosing: true)
        html.close("svg")
    }
}
