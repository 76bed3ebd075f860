extension Stylesheet {
    static let modelStyles = """
        """
}
