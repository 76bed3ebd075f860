import Testing
import YardJSON
@testable import YardServer

@Suite("JSON codec")
struct JSONTests {
    @Test func roundTripKeepsOrderAndNumberText() throws {
        let text = #"{"b":1,"a":[true,false,null,"x\"y\n",1.5e3,-0.25,9007199254740993],"c":{}}"#
        let value = try JSONParser.parse(Array(text.utf8))
        #expect(String(decoding: JSONWriter.bytes(value), as: UTF8.self) == text)
        #expect(value["a"] == .array([.bool(true), .bool(false), .null, .string("x\"y\n"), .number("1.5e3"), .number("-0.25"), .number("9007199254740993")]))
    }

    @Test func unicodeEscapesDecode() throws {
        let value = try JSONParser.parse(Array(#""\u00e9\ud83d\ude00""#.utf8))
        #expect(value == .string("é😀"))
    }

    @Test(arguments: ["{", "{\"a\"}", "[1,]", "01", "\"abc", "{\"a\":1} x", "nul", "{'a':1}", "1.", "-"])
    func malformedInputIsRefused(text: String) {
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(Array(text.utf8)) }
    }

    @Test func specialDoublesAreStrings() {
        #expect(JSONValue.double(.nan) == .string("NaN"))
        #expect(JSONValue.double(.infinity) == .string("Infinity"))
        #expect(JSONValue.double(2) == .number("2.0"))
        #expect(JSONValue.double(0.1) == .number("0.1"))
    }
}
