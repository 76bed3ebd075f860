/// Writes JSON straight into bytes, for responses too large to build as a `JSONValue` tree first (a page
/// of 1,000 runs is ~50,000 values to allocate and free). The caller states the structure; commas are
/// placed here. Output is byte for byte what `JSONWriter` makes of the equivalent tree.
public struct JSONOutput: Sendable {
    public private(set) var bytes: [UInt8]
    /// Whether the next value or key follows a sibling and so needs a comma first.
    private var afterValue = false

    public init(capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    public mutating func beginObject() {
        separate()
        bytes.append(UInt8(ascii: "{"))
        afterValue = false
    }

    public mutating func endObject() {
        bytes.append(UInt8(ascii: "}"))
        afterValue = true
    }

    public mutating func beginArray() {
        separate()
        bytes.append(UInt8(ascii: "["))
        afterValue = false
    }

    public mutating func endArray() {
        bytes.append(UInt8(ascii: "]"))
        afterValue = true
    }

    /// A member name. Names are the program's own ASCII constants, so they are copied without escaping.
    public mutating func key(_ name: StaticString) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
        afterValue = false
    }

    public mutating func string(_ text: String) {
        separate()
        JSONWriter.writeString(text, into: &bytes)
        afterValue = true
    }

    public mutating func int(_ number: Int64) {
        separate()
        Self.writeDecimal(number, into: &bytes)
        afterValue = true
    }

    /// Any other value, through the tree writer (metric doubles use `JSONValue.double`'s rules this way).
    public mutating func value(_ value: JSONValue) {
        separate()
        JSONWriter.write(value, into: &bytes)
        afterValue = true
    }

    private mutating func separate() {
        if afterValue { bytes.append(UInt8(ascii: ",")) }
    }

    /// The digits `String(number)` would give, without making the string.
    static func writeDecimal(_ number: Int64, into output: inout [UInt8]) {
        if number < 0 { output.append(UInt8(ascii: "-")) }
        let start = output.count
        var magnitude = number.magnitude
        repeat {
            output.append(UInt8(ascii: "0") + UInt8(magnitude % 10))
            magnitude /= 10
        } while magnitude > 0
        output[start...].reverse()
    }
}
