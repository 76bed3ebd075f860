extension Stylesheet {
    /// Model pages: the lineage graph's node kinds, the history timeline's marks for the version in view,
    /// gate rows, stage badges.
    static let modelStyles = """
        .lineage-wrap { overflow-x: auto; border: 1px solid var(--line); border-radius: 6px; padding: 6px; background: var(--soft); }
        svg.lineage { display: block; max-width: none; height: auto; }
        svg.lineage .node.kind-dataset rect { fill: #eef6ff; stroke: #54aeff; }
        svg.lineage .node.kind-run rect { fill: #f0fff4; stroke: #4ac26b; }
        svg.lineage .node.kind-logged-model rect { fill: #fbefff; stroke: #c297ff; }
        svg.lineage .node.kind-version rect { fill: #fff8c5; stroke: #d4a72c; }
        svg.lineage .node.kind-alias rect { fill: #ddf4ff; stroke: #218bff; }
        svg.lineage .node.current rect { stroke-width: 2.5; }
        svg.lineage .node.unlinked rect { stroke-dasharray: 4 3; }
        svg.lineage a.node:hover rect { stroke: var(--accent); stroke-width: 2; }
        svg.lineage a.node:focus-visible rect { stroke: var(--accent); stroke-width: 3; }
        svg.lineage .node text.caption { font-size: 10px; fill: var(--muted); text-transform: uppercase; letter-spacing: .04em; }
        svg.lineage .node text.label { font-size: 12.5px; font-weight: 600; }
        svg.lineage .edge { stroke-width: 1.5; }
        .timeline li.this-version { background: #fff8c5; border-radius: 4px; }
        .timeline .event-title { font-weight: 600; }
        .timeline .event-meta { font-size: 12px; }
        .timeline .failed-gates { margin: 2px 0 0; padding-left: 18px; font-size: 12px; color: var(--bad); }
        .timeline .failed-gates li { padding: 0; }
        .timeline .failed-gates li::before { content: none; }
        .timeline li.event-version_deleted::before, .timeline li.event-model_deleted::before, .timeline li.event-alias_deleted::before { background: #6e7781; }
        .timeline li.event-policy_set::before, .timeline li.event-stage_changed::before { background: var(--accent); }
        #gate-checks tr.gate-fail td { background: #fff5f5; }
        .gate-summary .status { margin-right: 4px; }
        .status.stage-production { color: var(--ok); border-color: var(--ok); }
        .status.stage-staging { color: var(--warn); border-color: var(--warn); }
        .status.stage-archived { color: var(--muted); }
        ul.aliases { list-style: none; padding: 0; margin: 0; display: flex; flex-wrap: wrap; gap: 6px 16px; }
        a.alias-link { white-space: nowrap; }
        ul.requirements { margin: 4px 0 10px; padding-left: 20px; }
        ul.requirements li { margin: 2px 0; }
        #policy-aliases { margin: 6px 0 10px; }
        details.policy-document > summary { cursor: pointer; color: var(--accent); margin: 4px 0; }
        p.description { white-space: pre-wrap; word-break: break-word; }
        """
}
