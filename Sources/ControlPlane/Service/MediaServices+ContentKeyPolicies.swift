import AMSModels
import Foundation

extension MediaServices {
    // MARK: - Content key policies

    /// Every policy, oldest first (a stable order for paging), secrets masked.
    public func contentKeyPolicyList(account: ResourceID) -> [ContentKeyPolicy] {
        contentKeyPolicies.values
            .sorted { ($0.properties?.created ?? .distantPast, $0.name ?? "") < ($1.properties?.created ?? .distantPast, $1.name ?? "") }
            .map { render($0, account: account) }
    }

    /// GET: secrets masked (spec §7.1).
    public func contentKeyPolicy(_ name: String, account: ResourceID) throws(ARMError) -> ContentKeyPolicy {
        guard let policy = contentKeyPolicies[Self.key(name)] else { throw .resourceNotFound(type: "content key policy", name: name) }
        return render(policy, account: account)
    }

    /// POST `getPolicyPropertiesWithSecrets`: the properties as stored, secrets included.
    public func contentKeyPolicySecrets(_ name: String) throws(ARMError) -> ContentKeyPolicyProperties {
        guard let policy = contentKeyPolicies[Self.key(name)] else { throw .resourceNotFound(type: "content key policy", name: name) }
        return policy.properties ?? ContentKeyPolicyProperties()
    }

    func render(_ policy: ContentKeyPolicy, account: ResourceID) -> ContentKeyPolicy {
        var resource = policy
        let id = account.appending(.contentKeyPolicy, policy.name ?? "")
        resource.id = id.description
        resource.type = id.armType
        resource.properties = policy.properties?.maskingSecrets
        return resource
    }

    /// PUT: creates (201) or replaces (200) a policy. `policyId` and `created` stay; options keep their
    /// `policyOptionId` when one of the same name existed, else get a new one.
    public func createOrUpdateContentKeyPolicy(_ name: String, body: ContentKeyPolicy, account: ResourceID) async throws(ARMError)
        -> (ContentKeyPolicy, created: Bool) {
        try ResourceValidation.validateName(name, for: .contentKeyPolicy)
        try body.validateForPut()
        let key = Self.key(name)
        let existing = contentKeyPolicies[key]
        let now = Date()
        var properties = body.properties ?? ContentKeyPolicyProperties()
        properties.options = Self.identified(properties.options ?? [], previous: existing?.properties?.options ?? [])
        properties.policyId = existing?.properties?.policyId ?? Self.newUUID()
        properties.created = existing?.properties?.created ?? now
        properties.lastModified = now
        var policy = ContentKeyPolicy(systemData: systemData(created: properties.created ?? now, modified: now), properties: properties)
        policy.name = existing?.name ?? name
        try await store(policy, replacing: existing, key: key)
        logger.info(existing == nil ? "content key policy created" : "content key policy replaced",
                    metadata: ["policy": "\(policy.name ?? name)", "options": "\(properties.options?.count ?? 0)"])
        return (render(policy, account: account), existing == nil)
    }

    /// PATCH: `description` and `options` (the whole list) when given; the result must still be a valid policy.
    public func updateContentKeyPolicy(_ name: String, patch: ContentKeyPolicy, account: ResourceID) async throws(ARMError) -> ContentKeyPolicy {
        let key = Self.key(name)
        guard let existing = contentKeyPolicies[key] else { throw .resourceNotFound(type: "content key policy", name: name) }
        var policy = existing
        var properties = existing.properties ?? ContentKeyPolicyProperties()
        if let description = patch.properties?.description { properties.description = description }
        if let options = patch.properties?.options {
            properties.options = Self.identified(options, previous: existing.properties?.options ?? [])
        }
        policy.properties = properties
        try policy.validateForPut()
        let now = Date()
        policy.properties?.lastModified = now
        policy.systemData?.lastModifiedAt = now
        try await store(policy, replacing: existing, key: key)
        logger.info("content key policy updated", metadata: ["policy": "\(policy.name ?? name)"])
        return render(policy, account: account)
    }

    /// DELETE: refused while a streaming locator's key or a streaming policy names the policy (its keys would become
    /// undeliverable). Absent → false (204).
    public func deleteContentKeyPolicy(_ name: String) async throws(ARMError) -> Bool {
        let key = Self.key(name)
        guard let policy = contentKeyPolicies[key] else { return false }
        let display = policy.name ?? name
        if let user = locators.values.sorted(by: { ($0.name ?? "") < ($1.name ?? "") }).first(where: { locatorUses($0, policyKey: key) }) {
            throw .invalidOperation("The content key policy '\(display)' is used by streaming locator '\(user.name ?? "")'; delete the locator first.")
        }
        if let user = customPolicies.values.map(\.resource).sorted(by: { ($0.name ?? "") < ($1.name ?? "") })
            .first(where: { ($0.properties?.contentKeyPolicyNames ?? []).contains { Self.key($0) == key } }) {
            throw .invalidOperation("The content key policy '\(display)' is named by streaming policy '\(user.name ?? "")'; delete that streaming policy (and its locators) first.")
        }
        contentKeyPolicies[key] = nil
        do {
            try await persist([.delete(.contentKeyPolicy, parent: "", name: display)])
        } catch {
            contentKeyPolicies[key] = policy
            throw error
        }
        logger.info("content key policy deleted", metadata: ["policy": "\(display)"])
        return true
    }

    /// Whether a locator's default policy or one of its keys names the policy with lower-cased name `policyKey`.
    func locatorUses(_ locator: StreamingLocator, policyKey: String) -> Bool {
        let properties = locator.properties
        if properties?.defaultContentKeyPolicyName.map(Self.key) == policyKey { return true }
        return (properties?.contentKeys ?? []).contains { $0.policyName.map(Self.key) == policyKey }
    }

    /// Checks that `name` names a content key policy; returns its name as created.
    func existingContentKeyPolicy(_ name: String, field: String) throws(ARMError) -> String {
        guard let policy = contentKeyPolicies[Self.key(name)] else {
            throw .badRequest("'\(field)' names the content key policy '\(name)', which does not exist; create it first (PUT …/contentKeyPolicies/\(name)).",
                              target: field)
        }
        return policy.name ?? name
    }

    private func store(_ policy: ContentKeyPolicy, replacing existing: ContentKeyPolicy?, key: String) async throws(ARMError) {
        contentKeyPolicies[key] = policy
        do {
            try await persist([.put(try contentKeyPolicyRow(policy))])
        } catch {
            contentKeyPolicies[key] = existing
            throw error
        }
    }

    func contentKeyPolicyRow(_ policy: ContentKeyPolicy) throws(ARMError) -> StoredRow {
        var stored = policy
        stored.id = nil
        stored.type = nil
        return StoredRow(kind: .contentKeyPolicy, name: policy.name ?? "", body: try encode(stored),
                         created: policy.properties?.created ?? Date())
    }

    /// Options with their ids: the previous id of an option with the same name, else a new one (ids are read-only).
    static func identified(_ options: [ContentKeyPolicyOption], previous: [ContentKeyPolicyOption]) -> [ContentKeyPolicyOption] {
        options.map { option in
            var option = option
            let earlier = option.name.flatMap { name in previous.first { $0.name?.lowercased() == name.lowercased() } }
            option.policyOptionId = earlier?.policyOptionId ?? newUUID()
            return option
        }
    }
}
