// The control API's protection family: streaming policies and content key policies (secrets masked except in
// getPolicyPropertiesWithSecrets).
import AMSModels
import Foundation
import HTTP

extension ControlAPI {
    /// Streaming policies and content key policies.
    func protectionPolicies(_ c: Context) async throws(ARMError) -> HTTPResponse {
        let s = services
        switch (c.route.target, c.route.method) {
        case (.streamingPolicies, .get):
            return try list(c, await s.policyList(account: c.account), count: false, filterable: true) { policy, path in
                Self.odata(path, name: policy.name, created: policy.properties?.created, modified: nil, extra: [:])
            }
        case (.streamingPolicy(let name), .get):
            return try Self.json(await s.policy(name, account: c.account))
        case (.streamingPolicy(let name), .put):
            let body = try c.decode(StreamingPolicy.self)
            return try Self.json(await s.createPolicy(name, body: body, account: c.account), status: 201)
        case (.streamingPolicy(let name), .delete):
            return try await s.deletePolicy(name) ? Self.ok : Self.noContent

        // Content key policies: secrets masked except in getPolicyPropertiesWithSecrets
        case (.contentKeyPolicies, .get):
            return try list(c, await s.contentKeyPolicyList(account: c.account), count: false, filterable: true) { policy, path in
                let p = policy.properties
                return Self.odata(path, name: policy.name, created: p?.created, modified: p?.lastModified,
                                  extra: ["properties/policyid": p?.policyId, "properties/description": p?.description])
            }
        case (.contentKeyPolicy(let name), .get):
            return try Self.json(await s.contentKeyPolicy(name, account: c.account))
        case (.contentKeyPolicy(let name), .put):
            let body = try c.decode(ContentKeyPolicy.self)
            let (policy, created) = try await s.createOrUpdateContentKeyPolicy(name, body: body, account: c.account)
            return try Self.json(policy, status: created ? 201 : 200)
        case (.contentKeyPolicy(let name), .patch):
            let patch = try c.decode(ContentKeyPolicy.self)
            return try Self.json(await s.updateContentKeyPolicy(name, patch: patch, account: c.account))
        case (.contentKeyPolicy(let name), .delete):
            return try await s.deleteContentKeyPolicy(name) ? Self.ok : Self.noContent
        case (.contentKeyPolicyAction(let name, .getPolicyPropertiesWithSecrets), .post):
            return try Self.json(await s.contentKeyPolicySecrets(name))
        default:
            throw methodNotAllowed(c)
        }
    }
}
