/// A Swift client for the server's APIs, used by the CLI.
public enum YardClient {}
