import Foundation
import Testing
@testable import AMSModels

@Suite struct ARMErrorTests {
    @Test func encodesTheARMErrorShape() throws {
        let error = ARMError(status: 400, code: "BadRequest", message: "bad", target: "properties.input",
                             details: [ARMErrorDetail(code: "Inner", message: "inner")])
        let object = try #require(try JSONSerialization.jsonObject(with: ARMJSON.encode(error)) as? [String: Any])
        #expect(Set(object.keys) == ["error"])
        let body = try #require(object["error"] as? [String: Any])
        #expect(body["code"] as? String == "BadRequest")
        #expect(body["message"] as? String == "bad")
        #expect(body["target"] as? String == "properties.input")
        let details = try #require(body["details"] as? [[String: Any]])
        #expect(details.first?["code"] as? String == "Inner")
        #expect(body["additionalInfo"] == nil)
    }

    @Test func decodesAnARMErrorBody() throws {
        let json = Data(#"{"error":{"code":"ResourceNotFound","message":"gone","details":[]}}"#.utf8)
        let error = try ARMJSON.decode(ARMError.self, from: json)
        #expect(error.code == "ResourceNotFound")
        #expect(error.message == "gone")
        #expect(error.error.details == [])
    }

    @Test func convenienceConstructorsCarryStatusAndCode() {
        let cases: [(ARMError, Int, String)] = [
            (.badRequest("x"), 400, "BadRequest"),
            (.invalidResourceName("x"), 400, "InvalidResourceName"),
            (.resourceNotFound(type: "live event", name: "e1"), 404, "ResourceNotFound"),
            (.conflict("x"), 409, "Conflict"),
            (.invalidOperation("x"), 400, "InvalidOperation"),
            (.authenticationFailed(), 401, "AuthenticationFailed"),
            (.missingApiVersion(supported: ["2022-08-01"]), 400, "MissingApiVersionParameter"),
            (.invalidApiVersion("1999-01-01", supported: ["2022-08-01", "2022-11-01"]), 400, "InvalidApiVersionParameter"),
        ]
        for (error, status, code) in cases {
            #expect(error.status == status, "\(code)")
            #expect(error.code == code)
            #expect(!error.message.isEmpty)
        }
        #expect(ARMError.resourceNotFound(type: "live event", name: "e1").message.contains("'e1'"))
        #expect(ARMError.invalidApiVersion("1999-01-01", supported: ["2022-08-01"]).message.contains("2022-08-01"))
    }

    @Test func decodingFailuresNameTheFieldPath() {
        let missing = Data(#"{"properties":{"input":{"streamingProtocol":42}}}"#.utf8)
        #expect {
            try ARMJSON.decode(LiveEvent.self, from: missing)
        } throws: { error in
            guard let error = error as? ARMError else { return false }
            return error.status == 400 && error.message.contains("properties.input.streamingProtocol") && error.message.contains("string")
        }
        #expect {
            try ARMJSON.decode(LiveEvent.self, from: Data("{not json".utf8))
        } throws: { error in
            (error as? ARMError)?.message == "The request body is not valid JSON."
        }
        #expect {
            try ARMJSON.decode(LiveOutput.self, from: Data(#"{"properties":{"created":"tomorrow"}}"#.utf8))
        } throws: { error in
            guard let error = error as? ARMError else { return false }
            return error.error.target == "properties.created" && error.message.contains("tomorrow")
        }
    }

    /// A body that is JSON but not an object has no field to name: the 400 says what the body must be.
    @Test(arguments: ["null", "[]", "\"news\"", "42", "true"])
    func aBodyThatIsNotAnObjectIsA400SayingSo(_ body: String) {
        #expect {
            try ARMJSON.decode(LiveEvent.self, from: Data(body.utf8))
        } throws: { error in
            guard let error = error as? ARMError else { return false }
            return error.status == 400 && error.message == "The request body must be a JSON object: the resource document, as the API reference shows it."
        }
    }
}

@Suite struct ARMEnumTests {
    @Test func unknownEnumValueListsAllowedValues() {
        let body = Data(#"{"properties":{"input":{"streamingProtocol":"SRT"}}}"#.utf8)
        #expect {
            try ARMJSON.decode(LiveEvent.self, from: body)
        } throws: { error in
            guard let error = error as? ARMError else { return false }
            return error.status == 400 && error.code == "BadRequest"
                && error.message.contains("'SRT' is not a valid value for streamingProtocol")
                && error.message.contains("FragmentedMP4, RTMP")
                && error.error.target == "properties.input.streamingProtocol"
        }
    }

    @Test func unknownEncodingTypeAndStreamOption() {
        #expect {
            try ARMJSON.decode(LiveEvent.self, from: Data(#"{"properties":{"encoding":{"encodingType":"Premium4K"}}}"#.utf8))
        } throws: { error in
            (error as? ARMError)?.message.contains("None, Standard, Premium1080p, PassthroughBasic, PassthroughStandard") == true
        }
        #expect {
            try ARMJSON.decode(LiveEvent.self, from: Data(#"{"properties":{"streamOptions":["Default","Fast"]}}"#.utf8))
        } throws: { error in
            guard let error = error as? ARMError else { return false }
            return error.message.contains("'Fast' is not a valid value for streamOptions") && error.message.contains("LowLatencyV2")
                && error.error.target == "properties.streamOptions[1]"
        }
        #expect {
            try ARMJSON.decode(LiveEventEncoding.self, from: Data(#"{"stretchMode":"Crop"}"#.utf8))
        } throws: { error in
            (error as? ARMError)?.message.contains("None, AutoSize, AutoFit") == true
        }
    }

    @Test func enumValuesAreCaseInsensitiveAndEncodeCanonically() throws {
        let input = try ARMJSON.decode(LiveEventInput.self, from: Data(#"{"streamingProtocol":"rtmp"}"#.utf8))
        #expect(input.streamingProtocol == .rtmp)
        #expect(String(decoding: try ARMJSON.encode(input), as: UTF8.self) == #"{"streamingProtocol":"RTMP"}"#)
        #expect(LiveEventEncodingType(caseInsensitive: "passthroughbasic") == .passthroughBasic)
        #expect(LiveEventEncodingType.none.isPassthrough && !LiveEventEncodingType.premium1080p.isPassthrough)
    }
}

@Suite struct APIVersionTests {
    @Test func acceptsTheSDKVersionAndRejectsOthers() throws {
        #expect(try APIVersion.validate("2022-08-01") == "2022-08-01")
        try APIVersion.validate("2022-11-01")
        do {
            try APIVersion.validate(nil)
            Issue.record("a missing api-version was accepted")
        } catch {
            #expect(error.code == "MissingApiVersionParameter")
            #expect(error.status == 400)
        }
        do {
            try APIVersion.validate("2019-01-01")
            Issue.record("an unknown api-version was accepted")
        } catch {
            #expect(error.code == "InvalidApiVersionParameter")
            #expect(error.message.contains("'2019-01-01'") && error.message.contains("2022-08-01"))
        }
    }
}
