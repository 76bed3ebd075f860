extension Stylesheet {
    /// Dataset pages: profile column types at a glance, the log_input snippet.
    static let datasetStyles = """
        #profile .type { display: inline-block; padding: 0 6px; border-radius: 4px; font-size: 12px; background: var(--soft); border: 1px solid var(--line); }
        #profile .type-integer, #profile .type-float { background: #ddf4ff; border-color: #80ccff; }
        #profile .type-boolean { background: #fbefff; border-color: #d8b9ff; }
        #profile .type-string { background: #f0fff4; border-color: #8ddb8c; }
        #profile .type-empty { color: var(--muted); }
        pre.log-input { white-space: pre-wrap; word-break: break-all; max-height: none; }
        .list-note { margin: 6px 0; }
        """
}
