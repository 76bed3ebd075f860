extension Stylesheet {
    static let experimentStyles = """
        """
}
