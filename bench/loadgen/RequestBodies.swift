import NIOCore

/// The JSON bodies of one run's three requests. Everything that does not depend on the run id is rendered
/// once; per run the client only splices the id between two prebuilt byte strings, so the load generator
/// spends its CPU on the network, not on formatting JSON.
struct RequestBodies: Sendable {
    let createRun: ByteBuffer
    private let batchHead: ByteBuffer
    private let batchTail: ByteBuffer
    private let updateHead: ByteBuffer
    private let updateTail: ByteBuffer

    /// Every run gets the same points: `keys` metrics (m0, m1, ...) with `steps` steps each, at fixed
    /// timestamps from `baseMillis`, so both servers receive byte-identical batches.
    init(experimentID: String, keys: Int, steps: Int, baseMillis: Int64) {
        createRun = ByteBuffer(string: #"{"experiment_id":"\#(experimentID)","start_time":\#(baseMillis)}"#)

        var points: [String] = []
        points.reserveCapacity(keys * steps)
        for key in 0..<keys {
            for step in 0..<steps {
                let value = 1.0 / Double(step + key + 1)
                points.append(#"{"key":"m\#(key)","value":\#(value),"timestamp":\#(baseMillis + Int64(step)),"step":\#(step)}"#)
            }
        }
        batchHead = ByteBuffer(string: #"{"run_id":""#)
        batchTail = ByteBuffer(string: #"","metrics":[\#(points.joined(separator: ","))]}"#)

        updateHead = ByteBuffer(string: #"{"run_id":""#)
        updateTail = ByteBuffer(string: #"","status":"FINISHED","end_time":\#(baseMillis + Int64(steps))}"#)
    }

    func logBatch(runID: String) -> ByteBuffer { splice(batchHead, runID, batchTail) }
    func finishRun(runID: String) -> ByteBuffer { splice(updateHead, runID, updateTail) }

    private func splice(_ head: ByteBuffer, _ runID: String, _ tail: ByteBuffer) -> ByteBuffer {
        var body = ByteBuffer()
        body.reserveCapacity(head.readableBytes + runID.utf8.count + tail.readableBytes)
        body.writeImmutableBuffer(head)
        body.writeString(runID)
        body.writeImmutableBuffer(tail)
        return body
    }
}

/// The string value of the first `"name": "..."` member anywhere in a JSON document, found by scanning
/// bytes. Enough for the ids the servers return (`run_id`, `experiment_id`: no escapes inside), and far
/// cheaper than decoding a whole run object per request.
func firstStringMember(named name: String, in body: ByteBuffer) -> String? {
    let needle = Array("\"\(name)\"".utf8)
    let bytes = body.readableBytesView
    var index = bytes.startIndex
    let end = bytes.endIndex
    while index + needle.count <= end {
        guard bytes[index] == needle[0], bytes[index..<(index + needle.count)].elementsEqual(needle) else {
            index += 1
            continue
        }
        var cursor = index + needle.count
        func skipSpaces() { while cursor < end, bytes[cursor] == UInt8(ascii: " ") { cursor += 1 } }
        skipSpaces()
        guard cursor < end, bytes[cursor] == UInt8(ascii: ":") else { index += 1; continue }
        cursor += 1
        skipSpaces()
        guard cursor < end, bytes[cursor] == UInt8(ascii: "\"") else { index += 1; continue }
        let start = cursor + 1
        guard let close = bytes[start...].firstIndex(of: UInt8(ascii: "\"")) else { return nil }
        return String(decoding: bytes[start..<close], as: UTF8.self)
    }
    return nil
}
