extension Stylesheet {
    /// The experiments list and the runs table.
    static let experimentStyles = """
        .view-switch { display: inline-flex; border: 1px solid var(--line); border-radius: 6px; overflow: hidden; }
        .view-switch a { padding: 4px 10px; color: var(--fg); }
        .view-switch a + a { border-left: 1px solid var(--line); }
        .view-switch a.current { background: var(--soft); font-weight: 600; }
        #experiments td.actions { white-space: nowrap; }
        #experiments .experiment-id { font-size: 12px; }
        #experiments details.rename { display: inline-block; margin-right: 6px; }
        #experiments details.rename > summary { cursor: pointer; color: var(--accent); list-style: none; display: inline; }
        #experiments details.rename[open] > summary { color: var(--muted); }
        #experiments .rename-form input[type=text] { min-width: 220px; margin: 0 4px; }
        button.danger { color: var(--bad); }
        #create-experiment input[type=text] { min-width: 280px; }
        #create-experiment, #experiment-search { display: flex; gap: 6px; align-items: center; }
        .experiment-meta { margin: -6px 0 8px; font-size: 13px; word-break: break-all; }
        #run-filter input#filter { flex: 1 1 420px; font-family: var(--mono); font-size: 12.5px; }
        #run-filter .page-size { color: var(--muted); }
        .runs-toolbar { margin-top: 0; }
        details.picker .picker-panel { position: absolute; z-index: 5; background: #fff; border: 1px solid var(--line); border-radius: 6px;
          padding: 8px; width: 380px; box-shadow: 0 6px 20px rgba(0,0,0,.12); }
        details.picker .picker-panel input[type=search] { width: 100%; }
        .picker-note { margin: 6px 0 0; font-size: 12px; }
        .reset-columns { display: block; margin-top: 6px; font-size: 12px; }
        .compare-bar { display: flex; gap: 10px; align-items: center; margin: 4px 0 8px; }
        #runs-live { max-height: 75vh; }
        table.runs-table td.status { display: table-cell; padding: 5px 9px; border: 0; border-bottom: 1px solid var(--line);
          border-radius: 0; font-size: 13px; }
        table.runs-table th .col-kind { color: var(--muted); font-weight: 400; }
        table.runs-table th a.sort-link { display: inline-block; }
        table.runs-table td.select, table.runs-table th.select { width: 1%; padding-right: 2px; }
        table.runs-table td.missing { background: #fbfcfd; }
        table.runs-table tr.deleted-run td { color: var(--muted); }
        table.runs-table td.run-name { min-width: 160px; }
        .badge.unregistered { background: var(--soft); color: var(--muted); }
        .badge.deleted-badge { background: #ffebe9; color: var(--bad); margin-left: 6px; }
        .visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
        .deleted-actions { display: flex; gap: 12px; align-items: center; }
        """
}
