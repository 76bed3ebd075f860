import YardJSON

/// JSONParser on arbitrary bytes: it must return or throw, never trap; and whatever it accepts must
/// survive a round trip through JSONWriter (re-parse to an equal value; writing is a fixed point).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSON(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let value = try? JSONParser.parse(bytes) else { return 0 }
    let written = JSONWriter.bytes(value)
    let reparsed: JSONValue
    do {
        reparsed = try JSONParser.parse(written)
    } catch {
        fatalError("JSONWriter output does not parse (\(error)): \(String(decoding: written, as: UTF8.self))")
    }
    guard reparsed == value else {
        fatalError("round trip changed the value: \(value) became \(reparsed)")
    }
    let rewritten = JSONWriter.bytes(reparsed)
    guard rewritten == written else {
        fatalError("writing is not stable: \(String(decoding: written, as: UTF8.self)) became \(String(decoding: rewritten, as: UTF8.self))")
    }
    return 0
}
