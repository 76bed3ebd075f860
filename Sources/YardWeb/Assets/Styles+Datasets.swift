extension Stylesheet {
    static let datasetStyles = """
        """
}
