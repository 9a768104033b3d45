// A thin, allocation-light wrapper over http_parser shared by the server and the client.
import CHTTPParser

/// Why parsing stopped.
enum HTTPParseError: Error, Equatable {
    /// The request line and headers exceed the configured limit.
    case headerTooLarge
    /// The bytes are not HTTP; the text names http_parser's reason.
    case malformed(String)
}

/// A complete message head (request or response).
struct HTTPMessageHead {
    var method: String
    var target: String
    var status: Int
    var version: HTTPVersion
    var headers: HTTPHeaders
    var keepAlive: Bool
    var upgrade: Bool
}

/// Receives parser events; every method returns false to stop parsing.
protocol HTTPMessageParserDelegate: AnyObject {
    func parserDidParseHead(_ head: HTTPMessageHead) -> HTTPMessageParser.HeadAction
    func parserDidReceiveBody(_ bytes: UnsafeRawBufferPointer) -> Bool
    func parserDidCompleteMessage() -> Bool
}

/// Feeds bytes to http_parser and turns its callbacks into `HTTPMessageHead`s and body chunks.
final class HTTPMessageParser {
    enum Kind { case request, response }
    enum HeadAction { case proceed, skipBody, stop }

    weak var delegate: (any HTTPMessageParserDelegate)?
    let maxHeaderBytes: Int
    private let parser: UnsafeMutablePointer<http_parser>
    private var url: [UInt8] = []
    private var field: [UInt8] = []
    private var value: [UInt8] = []
    private var headers = HTTPHeaders()
    private var inValue = false
    private var headerBytes = 0
    private var tooLarge = false
    /// True between message begin and message complete.
    private(set) var inMessage = false

    init(kind: Kind, maxHeaderBytes: Int) {
        self.maxHeaderBytes = maxHeaderBytes
        parser = UnsafeMutablePointer<http_parser>.allocate(capacity: 1)
        parser.initialize(to: http_parser())
        http_parser_init(parser, kind == .request ? HTTP_REQUEST : HTTP_RESPONSE)
        parser.pointee.data = Unmanaged.passUnretained(self).toOpaque()
    }

    deinit {
        parser.deinitialize(count: 1)
        parser.deallocate()
    }

    /// Parses `bytes`; throws when they are not valid HTTP or a callback asked to stop.
    /// Returns how many bytes were consumed (less than all after an Upgrade or a stop).
    @discardableResult
    func feed(_ bytes: UnsafeRawBufferPointer) throws(HTTPParseError) -> Int {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return 0 }
        let consumed = http_parser_execute(parser, Self.settings, base.assumingMemoryBound(to: CChar.self), bytes.count)
        try checkError()
        return consumed
    }

    /// Tells the parser the peer closed; completes a read-until-close response body.
    func finish() throws(HTTPParseError) {
        http_parser_execute(parser, Self.settings, nil, 0)
        try checkError()
    }

    private func checkError() throws(HTTPParseError) {
        let code = edgelive_http_errno(parser)
        guard code != 0 else { return }
        if tooLarge || code == Int32(HPE_HEADER_OVERFLOW.rawValue) { throw .headerTooLarge }
        let name = String(cString: edgelive_http_errno_name(code))
        let reason = String(cString: edgelive_http_errno_description(code))
        throw .malformed("\(reason) (\(name))")
    }

    // MARK: - Callbacks

    private func countHeaderBytes(_ count: Int) -> Bool {
        headerBytes += count
        if headerBytes > maxHeaderBytes {
            tooLarge = true
            return false
        }
        return true
    }

    private func commitField() {
        if !field.isEmpty || !value.isEmpty {
            headers.add(name: String(decoding: field, as: UTF8.self), value: String(decoding: value, as: UTF8.self))
        }
        field.removeAll(keepingCapacity: true)
        value.removeAll(keepingCapacity: true)
        inValue = false
    }

    fileprivate func onMessageBegin() -> Int32 {
        inMessage = true
        url.removeAll(keepingCapacity: true)
        field.removeAll(keepingCapacity: true)
        value.removeAll(keepingCapacity: true)
        headers = HTTPHeaders()
        inValue = false
        headerBytes = 0
        return 0
    }

    fileprivate func onURL(_ bytes: UnsafeRawBufferPointer) -> Int32 {
        guard countHeaderBytes(bytes.count) else { return 1 }
        url.append(contentsOf: bytes)
        return 0
    }

    fileprivate func onHeaderField(_ bytes: UnsafeRawBufferPointer) -> Int32 {
        // Each header line costs its bytes plus ": " and CRLF.
        guard countHeaderBytes(bytes.count + (inValue || field.isEmpty ? 4 : 0)) else { return 1 }
        if inValue { commitField() }
        field.append(contentsOf: bytes)
        return 0
    }

    fileprivate func onHeaderValue(_ bytes: UnsafeRawBufferPointer) -> Int32 {
        guard countHeaderBytes(bytes.count) else { return 1 }
        inValue = true
        value.append(contentsOf: bytes)
        return 0
    }

    fileprivate func onHeadersComplete() -> Int32 {
        commitField()
        let head = HTTPMessageHead(
            method: String(cString: edgelive_http_method_name(parser)),
            target: String(decoding: url, as: UTF8.self),
            status: Int(edgelive_http_status(parser)),
            version: HTTPVersion(major: Int(parser.pointee.http_major), minor: Int(parser.pointee.http_minor)),
            headers: headers,
            keepAlive: http_should_keep_alive(parser) != 0,
            upgrade: edgelive_http_upgrade(parser) != 0)
        headers = HTTPHeaders()
        switch delegate?.parserDidParseHead(head) ?? .stop {
        case .proceed: return 0
        case .skipBody: return 1
        case .stop: return -1
        }
    }

    fileprivate func onBody(_ bytes: UnsafeRawBufferPointer) -> Int32 {
        (delegate?.parserDidReceiveBody(bytes) ?? false) ? 0 : 1
    }

    fileprivate func onMessageComplete() -> Int32 {
        inMessage = false
        return (delegate?.parserDidCompleteMessage() ?? false) ? 0 : 1
    }

    // MARK: - Settings

    private static func from(_ parser: UnsafeMutablePointer<http_parser>?) -> HTTPMessageParser? {
        guard let data = parser?.pointee.data else { return nil }
        return Unmanaged<HTTPMessageParser>.fromOpaque(data).takeUnretainedValue()
    }

    private static func buffer(_ at: UnsafePointer<CChar>?, _ length: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: at, count: at == nil ? 0 : length)
    }

    /// One callback table for every parser; it never changes, so sharing it across threads is safe.
    nonisolated(unsafe) static let settings: UnsafeMutablePointer<http_parser_settings> = {
        let settings = UnsafeMutablePointer<http_parser_settings>.allocate(capacity: 1)
        settings.initialize(to: http_parser_settings())
        settings.pointee.on_message_begin = { from($0)?.onMessageBegin() ?? 1 }
        settings.pointee.on_url = { from($0)?.onURL(buffer($1, $2)) ?? 1 }
        settings.pointee.on_header_field = { from($0)?.onHeaderField(buffer($1, $2)) ?? 1 }
        settings.pointee.on_header_value = { from($0)?.onHeaderValue(buffer($1, $2)) ?? 1 }
        settings.pointee.on_headers_complete = { from($0)?.onHeadersComplete() ?? 1 }
        settings.pointee.on_body = { from($0)?.onBody(buffer($1, $2)) ?? 1 }
        settings.pointee.on_message_complete = { from($0)?.onMessageComplete() ?? 1 }
        return settings
    }()
}
