/// The one stylesheet: system fonts, a light palette, dense tables that scroll sideways inside their own
/// box (a wide runs table never widens the page), and the chart and lineage colours.
enum Stylesheet {
    /// Each area keeps its own rules in `Assets/Styles+<Area>.swift`, so pages can be worked on apart.
    static let source = core + "\n" + experimentStyles + "\n" + runStyles + "\n" + compareStyles + "\n" + modelStyles + "\n" + datasetStyles

    static let core = """
        :root { --fg: #1f2328; --muted: #656d76; --line: #d0d7de; --bg: #ffffff; --soft: #f6f8fa; --accent: #1f6feb;
          --ok: #1a7f37; --bad: #cf222e; --warn: #9a6700; --mono: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
        * { box-sizing: border-box; }
        html { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--fg); background: var(--bg); }
        body { margin: 0; }
        a { color: var(--accent); text-decoration: none; }
        a:hover { text-decoration: underline; }
        code, .mono { font-family: var(--mono); font-size: 12.5px; }
        .topbar { display: flex; align-items: center; gap: 24px; padding: 0 20px; height: 44px; background: #24292f; }
        .topbar a { color: #e6edf3; }
        .topbar .brand { font-weight: 600; font-size: 15px; }
        .topbar nav { display: flex; gap: 4px; }
        .topbar nav a { padding: 6px 10px; border-radius: 6px; }
        .topbar nav a.active { background: #3d444d; }
        main { padding: 14px 20px 40px; max-width: 100%; }
        h1 { font-size: 20px; margin: 6px 0 12px; word-break: break-word; }
        h2 { font-size: 16px; margin: 22px 0 8px; }
        h3 { font-size: 14px; margin: 16px 0 6px; }
        .crumbs { color: var(--muted); font-size: 13px; }
        .crumbs .sep { margin: 0 6px; }
        .muted { color: var(--muted); }
        .empty { color: var(--muted); font-style: italic; }
        .error-message { padding: 10px 12px; border: 1px solid var(--bad); border-radius: 6px; background: #fff5f5; color: var(--bad); }
        .notice { padding: 8px 12px; border: 1px solid var(--line); border-radius: 6px; background: var(--soft); }
        .table-wrap { overflow: auto; max-width: 100%; border: 1px solid var(--line); border-radius: 6px; }
        table { border-collapse: collapse; font-size: 13px; }
        table.grid { width: 100%; }
        th, td { padding: 5px 9px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; white-space: nowrap; }
        td.wrap, th.wrap { white-space: normal; word-break: break-word; max-width: 480px; }
        th { background: var(--soft); font-weight: 600; position: sticky; top: 0; z-index: 1; }
        td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
        tr:hover td { background: #f3f7ff; }
        th a { color: var(--fg); }
        th .order { color: var(--accent); margin-left: 3px; }
        .sortable-head { cursor: pointer; }
        .kv th { width: 1%; }
        .status { display: inline-block; padding: 0 7px; border-radius: 10px; font-size: 12px; border: 1px solid var(--line); }
        .status-FINISHED, .status-ok, .status-READY, .status-passed { color: var(--ok); border-color: var(--ok); }
        .status-FAILED, .status-KILLED, .status-firing, .status-refused, .status-failed { color: var(--bad); border-color: var(--bad); }
        .status-RUNNING, .status-SCHEDULED, .status-PENDING_REGISTRATION { color: var(--warn); border-color: var(--warn); }
        .badge { display: inline-block; padding: 0 6px; margin: 0 3px 2px 0; border-radius: 4px; background: #ddf4ff; color: #0a3069; font-size: 12px; }
        .toolbar { display: flex; flex-wrap: wrap; align-items: center; gap: 8px; margin: 8px 0 10px; }
        .toolbar input[type=search], .toolbar input[type=text] { min-width: 340px; }
        input, select, button, textarea { font: inherit; }
        input[type=search], input[type=text], select, textarea { padding: 4px 8px; border: 1px solid var(--line); border-radius: 6px; background: #fff; }
        button, .button { padding: 4px 12px; border: 1px solid var(--line); border-radius: 6px; background: var(--soft); color: var(--fg); cursor: pointer; }
        button.primary { background: var(--accent); border-color: var(--accent); color: #fff; }
        button:disabled { opacity: .5; cursor: default; }
        form.inline { display: inline; }
        .pager { display: flex; gap: 12px; align-items: center; margin: 10px 0; }
        details.picker { position: relative; }
        details.picker > summary { cursor: pointer; list-style: none; padding: 4px 12px; border: 1px solid var(--line); border-radius: 6px; background: var(--soft); }
        details.picker .column-picker { position: absolute; z-index: 5; background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 8px; width: 360px; box-shadow: 0 6px 20px rgba(0,0,0,.12); }
        .column-picker ul { list-style: none; margin: 6px 0 0; padding: 0; max-height: 320px; overflow: auto; }
        .column-picker li { padding: 1px 0; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
        .cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(420px, 1fr)); gap: 12px; }
        .card { border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; min-width: 0; }
        .card h3 { margin-top: 0; }
        .columns-2 { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 16px; }
        @media (max-width: 1000px) { .columns-2 { grid-template-columns: minmax(0, 1fr); } }
        pre.preview { max-height: 520px; overflow: auto; background: var(--soft); padding: 10px; border-radius: 6px; font-size: 12.5px; }
        img.preview { max-width: 100%; border: 1px solid var(--line); }
        .tree { list-style: none; padding-left: 14px; margin: 0; }
        svg.chart { display: block; width: 100%; height: auto; overflow: visible; }
        svg.chart .axis line, svg.chart .axis path { stroke: #8c959f; }
        svg.chart .grid line { stroke: #eaeef2; }
        svg.chart text { font-size: 11px; fill: #57606a; }
        svg.chart .series { fill: none; stroke-width: 1.6; }
        svg.chart .raw { fill: none; stroke-width: 1; opacity: .25; }
        svg.chart .hover-dot { pointer-events: none; }
        .chart-tip { position: fixed; pointer-events: none; background: #24292f; color: #fff; padding: 4px 8px; border-radius: 4px; font-size: 12px; z-index: 20; white-space: pre; }
        .legend { display: flex; flex-wrap: wrap; gap: 4px 12px; font-size: 12px; margin-top: 4px; }
        .legend .swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 4px; vertical-align: -1px; }
        .timeline { list-style: none; padding: 0; margin: 0; border-left: 2px solid var(--line); }
        .timeline li { position: relative; padding: 4px 0 10px 14px; }
        .timeline li::before { content: ""; position: absolute; left: -6px; top: 9px; width: 10px; height: 10px; border-radius: 50%; background: var(--line); }
        .timeline li.event-promoted::before, .timeline li.event-alias_set::before { background: var(--ok); }
        .timeline li.event-refused::before, .timeline li.event-promotion_refused::before { background: var(--bad); }
        .timeline li.event-rollback::before, .timeline li.event-rolled_back::before { background: var(--warn); }
        svg.lineage .node rect { fill: #fff; stroke: #8c959f; rx: 6; }
        svg.lineage .node text { font-size: 12px; fill: var(--fg); }
        svg.lineage .edge { stroke: #8c959f; fill: none; marker-end: url(#arrow); }
        .diff-differs { background: #fff8c5; }
        """
}
