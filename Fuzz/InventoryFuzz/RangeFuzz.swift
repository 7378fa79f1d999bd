// libFuzzer target: host ranges and addresses (`web[01:20].dc1`, `[::1]:22`) and
// the Python literals that INI values go through.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRange(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    if let result = try? HostRange.expand(text) {
        _ = result.hosts.count
    }
    _ = try? HostRange.parseAddress(text, allowRanges: false)
    _ = PythonLiteral.evaluate(text).map { $0.jsonText() }
    _ = try? ShellWords.split(text, comments: true)
    return 0
}
