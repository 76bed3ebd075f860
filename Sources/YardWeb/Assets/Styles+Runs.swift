extension Stylesheet {
    /// The run page, the artifact browser, and the charts every page draws (the compare page reuses them).
    static let runStyles = """
        .deleted-banner { border-color: var(--bad); background: #fff5f5; color: var(--bad); }
        .status-deleted { color: var(--bad); border-color: var(--bad); margin-left: 4px; }
        #overview table.kv th { text-align: left; color: var(--muted); font-weight: 500; background: none; position: static; }
        #description .description { white-space: pre-wrap; word-break: break-word; padding: 8px 12px; border: 1px solid var(--line);
          border-radius: 6px; background: var(--soft); max-height: 360px; overflow: auto; }
        details.system-tags { margin-top: 8px; }
        details.system-tags > summary { cursor: pointer; color: var(--muted); margin-bottom: 6px; }
        .kv-table td.key { font-family: var(--mono); font-size: 12.5px; }
        .limit-note, .table-note, .truncated-note { font-size: 12px; margin: 6px 0; }
        .chart-options label { display: inline-flex; align-items: center; gap: 4px; }
        .chart-options input[type=number] { width: 72px; padding: 4px 6px; border: 1px solid var(--line); border-radius: 6px; }
        .chart-grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(440px, 1fr)); gap: 12px; }
        @media (max-width: 520px) { .chart-grid { grid-template-columns: minmax(0, 1fr); } }
        figure.metric-chart { margin: 0; padding: 8px 10px 6px; border: 1px solid var(--line); border-radius: 6px; min-width: 0; }
        figure.metric-chart figcaption { font-size: 13px; margin-bottom: 4px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
        figure.metric-chart .metric-name { font-weight: 600; font-family: var(--mono); font-size: 12.5px; }
        figure.lazy-chart { min-height: 120px; }
        figure.lazy-chart .chart-placeholder { color: var(--muted); margin: 40px 0; text-align: center; }
        figure.chart-failed .chart-placeholder::after { content: " (could not be loaded)"; color: var(--bad); }

        svg.chart { display: block; width: 100%; height: auto; overflow: visible; user-select: none; }
        svg.chart .grid line { stroke: #eaeef2; stroke-width: 1; }
        svg.chart .axis line { stroke: #8c959f; stroke-width: 1; }
        svg.chart text { font-size: 11px; fill: #57606a; font-variant-numeric: tabular-nums; }
        svg.chart .axis-label { font-size: 11px; fill: #8c959f; }
        svg.chart .series { fill: none; stroke-width: 1.6; stroke-linejoin: round; stroke-linecap: round; }
        svg.chart .raw { fill: none; stroke-width: 1; opacity: .25; }
        svg.chart .hover-line { stroke: #8c959f; stroke-width: 1; stroke-dasharray: 3 3; pointer-events: none; }
        svg.chart .hover-dot { stroke: #fff; stroke-width: 1.5; pointer-events: none; }
        svg.chart .hover-layer { pointer-events: none; }
        svg.chart .chart-tooltip .tip-box { fill: #24292f; opacity: .92; }
        svg.chart .chart-tooltip text { fill: #ffffff; font-size: 11px; }
        .chart-note { font-size: 11.5px; color: var(--muted); margin: 4px 0 0; }
        .chart-empty { margin: 30px 0; text-align: center; }
        ul.legend { list-style: none; padding: 0; margin: 4px 0 0; display: flex; flex-wrap: wrap; gap: 2px 12px; font-size: 12px; }
        ul.legend li { display: inline-flex; align-items: center; gap: 4px; max-width: 260px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
        ul.legend svg.swatch { width: 10px; height: 10px; flex: none; }

        .artifact-path { font-family: var(--mono); font-size: 13px; margin: 4px 0 10px; }
        .artifact-path .sep { margin: 0 5px; color: var(--muted); }
        .artifact-layout { display: grid; grid-template-columns: minmax(220px, 320px) minmax(0, 1fr); gap: 16px; align-items: start; }
        @media (max-width: 900px) { .artifact-layout { grid-template-columns: minmax(0, 1fr); } }
        #artifact-list tr.current td { background: #ddf4ff; font-weight: 600; }
        #artifact-list a.folder { font-weight: 600; }
        .artifact-file-head { margin-bottom: 8px; }
        .artifact-preview pre.preview { white-space: pre; margin: 0; }
        .artifact-preview .table-wrap { max-height: 560px; }
        .mlmodel-summary { margin-bottom: 12px; }
        .mlmodel-summary h3 { margin: 10px 0 4px; }
        .binary-note { padding: 10px 12px; border: 1px dashed var(--line); border-radius: 6px; }
        """
}
