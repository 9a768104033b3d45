// Puts key delivery in front of another responder on the origin's port.
import HTTP

/// Sends `/keydelivery` and everything under it to key delivery, every other request to `fallback` (the origin).
public struct KeyDeliveryRouter<Fallback: HTTPResponder>: HTTPResponder {
    let keyDelivery: KeyDeliveryResponder
    let fallback: Fallback

    public init(keyDelivery: KeyDeliveryResponder, fallback: Fallback) {
        self.keyDelivery = keyDelivery
        self.fallback = fallback
    }

    public func respond(to request: HTTPRequest, body: HTTPRequestBody) async -> HTTPResponse {
        if KeyDeliveryResponder.handles(path: request.path) {
            return await keyDelivery.respond(to: request, body: body)
        }
        return await fallback.respond(to: request, body: body)
    }
}
