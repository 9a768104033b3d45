// Streaming policy create validation (the service's rules; the wire shape is tested in AMSModelsTests).
import AMSModels
import Testing
@testable import ControlPlane

@Suite struct StreamingPolicyValidationTests {
    @Test func everyPredefinedPolicyIsAValidConfiguration() {
        // Every built-in is itself a valid configuration.
        for policy in StreamingPolicy.predefined {
            var renamed = policy
            renamed.name = nil
            #expect(throws: Never.self) { try renamed.validateForCreate(name: "copy") }
        }
    }

    @Test func customPolicyValidation() throws {
        let clear = StreamingPolicy(properties: StreamingPolicyProperties(noEncryption: NoEncryption(enabledProtocols: EnabledProtocols(download: false, dash: true, hls: true, smoothStreaming: false))))
        #expect(throws: Never.self) { try clear.validateForCreate(name: "clearHlsDash") }
        let encrypted = StreamingPolicy(properties: StreamingPolicyProperties(commonEncryptionCenc: CommonEncryptionCenc(enabledProtocols: EnabledProtocols(download: false, dash: true, hls: false, smoothStreaming: false))))
        #expect(throws: Never.self) { try encrypted.validateForCreate(name: "cenc") }

        func expect400(_ policy: StreamingPolicy, name: String = "p", code: String = "BadRequest", mentioning fragment: String,
                       sourceLocation: SourceLocation = #_sourceLocation) {
            do {
                try policy.validateForCreate(name: name)
                Issue.record("expected 400", sourceLocation: sourceLocation)
            } catch {
                #expect(error.status == 400, sourceLocation: sourceLocation)
                #expect(error.code == code, sourceLocation: sourceLocation)
                #expect(error.message.contains(fragment), "\(error.message)", sourceLocation: sourceLocation)
            }
        }
        expect400(clear, name: "Predefined_Mine", code: "InvalidResourceName", mentioning: "reserved")
        expect400(clear, name: "bad/name", code: "InvalidResourceName", mentioning: "'/'")
        expect400(StreamingPolicy(properties: StreamingPolicyProperties()), mentioning: "at least one")
        expect400(StreamingPolicy(), mentioning: "'properties'")
        expect400(StreamingPolicy(properties: StreamingPolicyProperties(noEncryption: NoEncryption())), mentioning: "properties.noEncryption.enabledProtocols")
        expect400(StreamingPolicy(properties: StreamingPolicyProperties(noEncryption: NoEncryption(enabledProtocols: EnabledProtocols(download: false, dash: false, hls: false, smoothStreaming: false)))),
                  mentioning: "enables no protocol")
        expect400(StreamingPolicy(properties: StreamingPolicyProperties(
            envelopeEncryption: EnvelopeEncryption(enabledProtocols: EnabledProtocols(download: false, dash: false, hls: true, smoothStreaming: false)),
            commonEncryptionCbcs: CommonEncryptionCbcs(enabledProtocols: EnabledProtocols(download: false, dash: false, hls: true, smoothStreaming: false)))),
                  mentioning: "'Hls' is enabled in both 'envelopeEncryption' and 'commonEncryptionCbcs'")
    }
}
