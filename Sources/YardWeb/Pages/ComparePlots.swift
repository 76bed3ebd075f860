/// The compare page's two plots over runs: parallel coordinates (how params lead to metrics) and a scatter
/// of any two columns. Both are drawn on the server; their GET forms keep the rest of the view in hidden fields.
enum ComparePlots {
    static let defaultParamAxes = 8
    static let defaultMetricAxes = 4
    /// Columns offered in the pickers; an experiment with thousands of keys still gets a usable page.
    static let maxOfferedColumns = 2000

    // MARK: Parallel coordinates

    static func parallelCoordinates(_ context: CompareContext, into html: inout HTML) {
        let table = context.table
        let query = context.query
        var unknown: [String] = []
        let refs: [CompareTable.ColumnRef]
        if let asked = query.parallelColumns {
            var chosen: [CompareTable.ColumnRef] = []
            for name in asked {
                if let ref = table.column(named: name) {
                    if !chosen.contains(ref) { chosen.append(ref) }
                } else {
                    unknown.append(name)
                }
            }
            refs = chosen
        } else {
            refs = defaultParallelColumns(context)
        }

        html.element("section", [.id("compare-parallel")]) { section in
            section.element("h2", text: "Parallel coordinates")
            section.open("form", [.id("pc-form"), .class("toolbar"), Attribute("method", "get"), Attribute("action", WebLinks.root + "/compare")])
            query.hiddenFields(except: ["pc"], into: &section)
            section.element("label") { label in
                label.text("axes ")
                label.void("input", [Attribute("type", "text"), Attribute("name", "pc"), .class("pc-columns"), Attribute("list", "compare-columns"),
                                     Attribute("value", refs.map(\.name).joined(separator: ",")),
                                     Attribute("placeholder", "params.alpha,metrics.rmse")])
            }
            section.element("button", [Attribute("type", "submit")], text: "Draw")
            section.close("form")
            columnList(table, into: &section)
            if !unknown.isEmpty {
                section.element("p", [.class("error-message")], text: "No run has " + unknown.map { "'\($0)'" }.joined(separator: ", ")
                    + ". Name columns as params.<key> or metrics.<key>.")
            }
            guard refs.count >= 2 else {
                PageLayout.empty("Parallel coordinates need two or more columns: these runs have too few params or metrics that differ. "
                    + "Name the axes above.", into: &section)
                return
            }
            section.element("p", [.class("muted")], text: "One line per run, coloured by \(refs[refs.count - 1].name) (blue low, red high); "
                + "hover a line for the run and its values.")
            let items = table.runs.indices.map { index in
                PlotItem(label: table.name(ofRun: index), href: WebLinks.run(table.runs[index].info.runId), color: context.colour(ofRun: index))
            }
            section.element("div", [.class("plot-wrap")]) { wrap in
                ParallelCoordinates.render(columns: refs.map(table.plotColumn), items: items, into: &wrap)
            }
        }
    }

    /// The params that differ between the runs, then a few metrics (the charted ones first); the last axis
    /// colours the lines, so it is the leading metric.
    static func defaultParallelColumns(_ context: CompareContext) -> [CompareTable.ColumnRef] {
        let table = context.table
        let params = table.paramKeys.filter(table.paramDiffers).prefix(defaultParamAxes).map(CompareTable.ColumnRef.param)
        var metricKeys: [String] = []
        for key in context.chartKeys + table.metricKeys where !metricKeys.contains(key) && table.metricDiffers(key) {
            metricKeys.append(key)
            if metricKeys.count == defaultMetricAxes { break }
        }
        // The leading metric goes last, where it colours the lines.
        if let lead = metricKeys.first {
            metricKeys.removeFirst()
            metricKeys.append(lead)
        }
        return params + metricKeys.map(CompareTable.ColumnRef.metric)
    }

    /// The column names for the axes field's suggestions.
    static func columnList(_ table: CompareTable, into html: inout HTML) {
        html.element("datalist", [.id("compare-columns")]) { list in
            for ref in table.allColumns.prefix(maxOfferedColumns) {
                list.void("option", [Attribute("value", ref.name)])
            }
        }
    }

    // MARK: Scatter

    static func scatter(_ context: CompareContext, into html: inout HTML) {
        let table = context.table
        let query = context.query
        let columns = table.allColumns
        html.element("section", [.id("compare-scatter")]) { section in
            section.element("h2", text: "Scatter")
            guard let defaults = defaultScatterColumns(context) else {
                PageLayout.empty("These runs have no params or metrics to plot.", into: &section)
                return
            }
            let x = query.scatterX.flatMap(table.column(named:)) ?? defaults.x
            let y = query.scatterY.flatMap(table.column(named:)) ?? defaults.y
            section.open("form", [.id("scatter"), .class("toolbar"), Attribute("method", "get"), Attribute("action", WebLinks.root + "/compare")])
            query.hiddenFields(except: ["x", "y"], into: &section)
            for (name, label, chosen) in [("x", "x ", x), ("y", "y ", y)] {
                section.element("label") { labelHTML in
                    labelHTML.text(label)
                    labelHTML.element("select", [Attribute("name", name)]) { select in
                        for ref in columns.prefix(maxOfferedColumns) {
                            select.element("option", [Attribute("value", ref.name), .flag("selected", ref == chosen)], text: ref.name)
                        }
                        if !columns.prefix(maxOfferedColumns).contains(chosen) {
                            select.element("option", [Attribute("value", chosen.name), .flag("selected")], text: chosen.name)
                        }
                    }
                }
            }
            section.element("button", [Attribute("type", "submit")], text: "Plot")
            section.close("form")
            for (asked, axis) in [(query.scatterX, "x"), (query.scatterY, "y")] {
                if let asked, table.column(named: asked) == nil {
                    section.element("p", [.class("error-message")], text: "No run has '\(asked)' (asked for \(axis)); showing the default column instead.")
                }
            }
            let items = table.runs.indices.map { index in
                PlotItem(label: table.name(ofRun: index), href: WebLinks.run(table.runs[index].info.runId), color: context.colour(ofRun: index))
            }
            var plot = HTML(reservingCapacity: 16_384)
            let drawn = ScatterPlot.render(x: table.plotColumn(x), y: table.plotColumn(y), items: items, into: &plot)
            section.element("div", [.class("plot-wrap")]) { wrap in wrap.append(plot) }
            if drawn < items.count {
                section.element("p", [.class("muted")], text: "\(items.count - drawn) of \(items.count) runs lack a value for \(x.name) or \(y.name) "
                    + "and are not plotted.")
            }
        }
    }

    /// x: the first param that differs (else a second metric); y: the leading metric (else another param).
    static func defaultScatterColumns(_ context: CompareContext) -> (x: CompareTable.ColumnRef, y: CompareTable.ColumnRef)? {
        let table = context.table
        let metrics = (context.chartKeys + table.metricKeys).map(CompareTable.ColumnRef.metric)
        let params = (table.paramKeys.filter(table.paramDiffers) + table.paramKeys).map(CompareTable.ColumnRef.param)
        guard let y = metrics.first ?? params.first else { return nil }
        let x = params.first { $0 != y } ?? metrics.first { $0 != y } ?? y
        return (x, y)
    }
}
