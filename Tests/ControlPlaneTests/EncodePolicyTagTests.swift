// One event's fallback policy (the tag `edgelive.encodePolicy`) over the box's: checked at create and on a tag update.
import AMSModels
import EncodeModel
import Live
import Testing
@testable import ControlPlane

struct EncodePolicyTagTests {
    /// A box whose own policy is `never` and that has no GPU: only an event tagged `auto` may encode (in software).
    static let noGPUNeverBox = LiveEncodingEnvironment(
        launcher: EncodeWorkerLauncher(executable: "/bin/false"), presets: LadderPreset.builtIn,
        chooseEncoder: { _, _, policy in
            guard policy == .auto else { return .failure(EncoderUnavailable("policy never and no usable GPU")) }
            return .success(EncoderChoice(backend: .software(preset: "superfast", threads: 2), options: [:],
                                          reason: "no DRM render node: software x86-64", isFallback: true))
        })

    static func body(policy: String?) -> [String: Any] {
        var body: [String: Any] = ["location": "local", "properties": [
            "input": ["streamingProtocol": "RTMP"], "encoding": ["encodingType": "Standard"]]]
        if let policy { body["tags"] = [LiveEncodingEnvironment.policyTag: policy] }
        return body
    }

    @Test func theTagParsesAutoAndNeverInAnyCaseAndRefusesOtherValues() throws {
        #expect(try LiveEncodingEnvironment.policy(tags: nil) == nil)
        #expect(try LiveEncodingEnvironment.policy(tags: ["team": "news"]) == nil)
        #expect(try LiveEncodingEnvironment.policy(tags: [LiveEncodingEnvironment.policyTag: "Never"]) == .never)
        #expect(try LiveEncodingEnvironment.policy(tags: [LiveEncodingEnvironment.policyTag: "auto"]) == .auto)
        #expect(throws: ARMError.self) { try LiveEncodingEnvironment.policy(tags: [LiveEncodingEnvironment.policyTag: "sometimes"]) }
    }

    @Test func anEventsTagOverridesTheBoxPolicyAtCreateAndOnUpdate() async throws {
        try await withAPI(liveEncoding: Self.noGPUNeverBox) { api in
            let query = "api-version=2022-11-01&autoStart=false"
            // The box's policy (never) refuses, and so does an event asking for never.
            let boxDefault = await api.send("PUT", "/liveEvents/plain", body: Self.body(policy: nil), query: query)
            #expect(boxDefault.status == 400 && boxDefault.errorCode == "NotSupported", "\(boxDefault.text)")
            let never = await api.send("PUT", "/liveEvents/gpuonly", body: Self.body(policy: "never"), query: query)
            #expect(never.status == 400 && never.errorMessage.contains(LiveEncodingEnvironment.policyTag), "\(never.text)")
            let bogus = await api.send("PUT", "/liveEvents/bogus", body: Self.body(policy: "sometimes"), query: query)
            #expect(bogus.status == 400 && bogus.errorTarget == "tags.\(LiveEncodingEnvironment.policyTag)", "\(bogus.text)")

            // An event tagged auto encodes in software although the box says never.
            let auto = await api.send("PUT", "/liveEvents/software", body: Self.body(policy: "auto"), query: query)
            #expect(auto.status == 201, "\(auto.text)")
            #expect(auto.at("tags", LiveEncodingEnvironment.policyTag) as? String == "auto")

            // Changing the tag is checked now (it applies from the next start); other tags pass.
            let toNever = await api.send("PATCH", "/liveEvents/software", body: ["tags": [LiveEncodingEnvironment.policyTag: "never"]])
            #expect(toNever.status == 400 && toNever.errorCode == "NotSupported", "\(toNever.text)")
            let toBogus = await api.send("PATCH", "/liveEvents/software", body: ["tags": [LiveEncodingEnvironment.policyTag: "maybe"]])
            #expect(toBogus.status == 400, "\(toBogus.text)")
            let kept = await api.send("GET", "/liveEvents/software")
            #expect(kept.at("tags", LiveEncodingEnvironment.policyTag) as? String == "auto")
            let other = await api.send("PATCH", "/liveEvents/software",
                                       body: ["tags": [LiveEncodingEnvironment.policyTag: "auto", "team": "news"]])
            #expect(other.status == 200 || other.status == 202, "\(other.text)")
        }
    }
}
