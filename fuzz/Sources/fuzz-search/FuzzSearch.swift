import YardCore
import YardTracking

/// MLflow's search grammar on arbitrary UTF-8 (invalid sequences become U+FFFD, as a request body's
/// would): every filter and order_by parser must return or throw YardError, never trap or throw anything
/// else. Each input is tried as a filter of every search, as one order_by item, and, split at newlines,
/// as a list of order_by items.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSearch(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let items = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)

    expectYardError("run filter") { _ = try SearchGrammar.parseRunFilter(text) }
    expectYardError("experiment filter") { _ = try SearchGrammar.parseExperimentFilter(text) }
    expectYardError("registered model filter") { _ = try SearchGrammar.parseRegisteredModelFilter(text) }
    expectYardError("model version filter") { _ = try SearchGrammar.parseModelVersionFilter(text) }
    expectYardError("logged model filter") { _ = try SearchGrammar.parseLoggedModelFilter(text) }
    for list in [[text], items] {
        expectYardError("run order_by") { _ = try SearchGrammar.parseRunOrderBy(list) }
        expectYardError("experiment order_by") { _ = try SearchGrammar.parseExperimentOrderBy(list) }
        expectYardError("registered model order_by") { _ = try SearchGrammar.parseRegisteredModelOrderBy(list) }
        expectYardError("model version order_by") { _ = try SearchGrammar.parseModelVersionOrderBy(list) }
    }
    expectYardError("logged model order") { _ = try SearchGrammar.parseLoggedModelOrder(fieldName: text, ascending: false) }
    return 0
}

private func expectYardError(_ parser: String, _ body: () throws -> Void) {
    do {
        try body()
    } catch is YardError {
        // A client error: what bad input must produce.
    } catch {
        fatalError("the \(parser) parser threw \(type(of: error)), not YardError: \(error)")
    }
}
