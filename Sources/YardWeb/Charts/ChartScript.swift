/// The script behind the SVG charts (hover values, charts loaded on demand). Part of `StaticAssets.script`.
enum ChartScript {
    static let source = """
        // charts: filled in by the charts work
        """
}
