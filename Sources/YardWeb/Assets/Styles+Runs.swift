extension Stylesheet {
    static let runStyles = """
        """
}
