// Fuzz target: ARM JSON request and response bodies decoded into the control API's resource types (ARMJSON's decoder,
// as the API reads PUT/PATCH/POST bodies and the CLI reads answers).
// Input: the first byte picks the type, the rest is the body.
// Invariant: a body that decodes re-encodes to JSON that decodes, and encoding is stable after one round trip.
import Foundation
@testable import AMSModels

@_cdecl("LLVMFuzzerTestOneInput")
public func armJSONFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let body = Data(UnsafeBufferPointer(start: data + 1, count: size - 1))
    switch data[0] % 12 {
    case 0: roundTrip(LiveEvent.self, body)
    case 1: roundTrip(LiveOutput.self, body)
    case 2: roundTrip(Asset.self, body)
    case 3: roundTrip(StreamingLocator.self, body)
    case 4: roundTrip(StreamingPolicy.self, body)
    case 5: roundTrip(StreamingEndpoint.self, body)
    case 6: roundTrip(MediaFilter.self, body)
    case 7: roundTrip(LiveEventActionInput.self, body)
    case 8: roundTrip(ARMList<LiveEvent>.self, body)
    case 9: roundTrip(ListPathsResponse.self, body)
    case 10: roundTrip(AsyncOperationResult.self, body)
    default: roundTrip(ARMError.self, body)
    }
    return 0
}

private func roundTrip<T: Codable & Equatable>(_ type: T.Type, _ body: Data) {
    guard let value = try? ARMJSON.decode(type, from: body) else { return }
    let first: Data, second: Data
    do {
        first = try ARMJSON.encode(value)
        second = try ARMJSON.encode(ARMJSON.decode(type, from: first))
    } catch {
        fatalError("\(T.self) decoded from \(String(decoding: body, as: UTF8.self)) does not survive a round trip: \(error)")
    }
    guard first == second else {
        fatalError("\(T.self) encoding is unstable: \(String(decoding: first, as: UTF8.self)) vs \(String(decoding: second, as: UTF8.self))")
    }
}
