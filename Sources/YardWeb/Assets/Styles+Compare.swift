extension Stylesheet {
    static let compareStyles = """
        ol.compare-runs { list-style: none; margin: 0 0 8px; padding: 0; display: flex; flex-wrap: wrap; gap: 4px 18px; max-height: 220px; overflow: auto; }
        ol.compare-runs li { display: flex; align-items: center; gap: 6px; white-space: nowrap; }
        ol.compare-runs li.deleted .run-link { text-decoration: line-through; color: var(--muted); }
        .run-swatch { display: inline-block; vertical-align: -1px; flex: none; }
        .deleted-badge { background: #ffebe9; color: var(--bad); }
        .compare-chart-options details.metric-choice { position: relative; }
        .compare-chart-options details.metric-choice > summary { cursor: pointer; padding: 4px 12px; border: 1px solid var(--line); border-radius: 6px; background: var(--soft); }
        .compare-chart-options details.metric-choice[open] { z-index: 6; }
        .metric-choice-list { position: absolute; z-index: 5; list-style: none; margin: 4px 0 0; padding: 8px; width: 360px; max-height: 340px; overflow: auto;
          background: #fff; border: 1px solid var(--line); border-radius: 6px; box-shadow: 0 6px 20px rgba(0,0,0,.12); }
        .metric-choice-list li { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
        figure.metric-chart { margin: 0; }
        figure.metric-chart figcaption { font-weight: 600; margin-bottom: 4px; word-break: break-all; }
        .diff-wrap { max-height: 640px; }
        table.diff th.diff-key { position: sticky; left: 0; z-index: 2; background: var(--soft); max-width: 280px; overflow: hidden; text-overflow: ellipsis; }
        table.diff thead th { z-index: 3; }
        table.diff thead th.diff-key { z-index: 4; }
        table.diff thead th.deleted a { text-decoration: line-through; color: var(--muted); }
        table.diff tr.diff-group th { position: static; background: #eaeef2; text-transform: uppercase; font-size: 11.5px; letter-spacing: .04em; }
        table.diff tr:not(.equal):not(.diff-group) td { background: #fff8c5; }
        table.diff tr.equal td, table.diff tr.equal th.diff-key { color: var(--muted); }
        table.diff td.missing { color: var(--muted); }
        table.diff td.best { font-weight: 700; color: var(--ok); }
        .plot-wrap { overflow: auto; max-width: 100%; }
        svg.parallel-coordinates { width: auto; max-width: none; }
        svg.parallel-coordinates .pc-line { fill: none; stroke-width: 1.4; opacity: .7; }
        svg.parallel-coordinates a:hover .pc-line, svg.parallel-coordinates .pc-line:hover { stroke-width: 3; opacity: 1; }
        svg.parallel-coordinates .pc-axis line { stroke: #57606a; }
        svg.parallel-coordinates .pc-label { font-weight: 600; fill: var(--fg); }
        svg.parallel-coordinates .pc-missing { font-style: italic; }
        svg.parallel-coordinates text { paint-order: stroke; stroke: #fff; stroke-width: 3px; }
        svg.scatter { max-width: 760px; }
        svg.scatter .scatter-point { stroke: #fff; stroke-width: 1; opacity: .85; }
        svg.scatter .scatter-point:hover { stroke: var(--fg); stroke-width: 2; opacity: 1; }
        svg.scatter .axis-label { font-weight: 600; fill: var(--fg); }
        input.pc-columns { min-width: 420px; }
        """
}
