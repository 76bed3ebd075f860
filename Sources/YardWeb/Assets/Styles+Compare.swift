extension Stylesheet {
    static let compareStyles = """
        """
}
