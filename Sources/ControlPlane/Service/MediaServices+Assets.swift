import AMSModels
import Foundation
import Live

extension MediaServices {
    // MARK: - Assets

    public func assetList(account: ResourceID) -> [Asset] {
        assets.values.map { render($0, account: account) }
    }

    public func asset(_ name: String, account: ResourceID) throws(ARMError) -> Asset {
        guard let entry = assets[Self.key(name)] else { throw .resourceNotFound(type: "asset", name: name) }
        return render(entry, account: account)
    }

    func render(_ entry: AssetEntry, account: ResourceID) -> Asset {
        var asset = entry.resource
        let id = account.appending(.asset, entry.name)
        asset.id = id.description
        asset.type = id.armType
        return asset
    }

    /// PUT: creates (201) or replaces the updatable fields of (200) an asset. Synchronous, as the service.
    public func createOrUpdateAsset(_ name: String, body: Asset, account: ResourceID) async throws(ARMError) -> (Asset, created: Bool) {
        try ResourceValidation.validateName(name, for: .asset)
        let key = Self.key(name)
        let now = Date()
        if var entry = assets[key] {
            var properties = entry.resource.properties ?? AssetProperties()
            if let incoming = body.properties {
                if let container = incoming.container, container != properties.container {
                    throw .badRequest("'properties.container' cannot be changed after the asset is created.", target: "properties.container")
                }
                properties.alternateId = incoming.alternateId
                properties.description = incoming.description
            }
            properties.lastModified = now
            entry.resource.properties = properties
            entry.resource.systemData?.lastModifiedAt = now
            assets[key] = entry
            try await persist([.put(try assetRow(entry))])
            return (render(entry, account: account), false)
        }
        let assetId = Self.newUUID()
        var properties = body.properties ?? AssetProperties()
        if let given = properties.assetId, given.lowercased() != assetId { _ = given }  // read-only: the service assigns it
        properties.assetId = assetId
        properties.container = properties.container ?? "asset-\(assetId)"
        properties.storageAccountName = properties.storageAccountName ?? "local"
        properties.storageEncryptionFormat = AssetStorageEncryptionFormat.none
        properties.created = now
        properties.lastModified = now
        var asset = Asset(systemData: systemData(created: now, modified: now), properties: properties)
        asset.name = name
        let entry = AssetEntry(resource: asset, notes: AssetNotes(manifestName: nil, directory: "assets/\(assetId)"))
        assets[key] = entry
        do {
            try await persist([.put(try assetRow(entry))])
        } catch {
            assets[key] = nil
            throw error
        }
        return (render(entry, account: account), true)
    }

    /// PATCH: description and alternateId.
    public func updateAsset(_ name: String, patch: Asset, account: ResourceID) async throws(ARMError) -> Asset {
        let key = Self.key(name)
        guard var entry = assets[key] else { throw .resourceNotFound(type: "asset", name: name) }
        entry.resource = try entry.resource.merged(with: patch).asset
        entry.resource.properties?.lastModified = Date()
        entry.resource.systemData?.lastModifiedAt = entry.resource.properties?.lastModified
        assets[key] = entry
        try await persist([.put(try assetRow(entry))])
        return render(entry, account: account)
    }

    /// DELETE: the asset and its archive on disk; refused while a live output records into it. Absent → false (204).
    public func deleteAsset(_ name: String) async throws(ARMError) -> Bool {
        let key = Self.key(name)
        guard let entry = assets[key] else { return false }
        if let recording = entry.notes.recordingOutput {
            throw .invalidOperation("The asset '\(entry.name)' is being recorded by live output '\(recording)'; delete the live output first.")
        }
        assets[key] = nil
        let archive: AssetArchive?
        if let open = entry.archive { archive = open } else { archive = await openArchiveIfPresent(entry) }
        if let archive {
            do { try await archive.deleteStorage() } catch {
                logger.error("asset storage not fully removed", metadata: ["asset": "\(entry.name)", "error": "\(error)"])
            }
        }
        try await persist([.delete(.asset, parent: "", name: entry.name)] + dropAssetFilters(entry.name))
        logger.info("asset deleted", metadata: ["asset": "\(entry.name)"])
        return true
    }

    private func openArchiveIfPresent(_ entry: AssetEntry) async -> AssetArchive? {
        let directory = (configuration.dataDirectory as NSString).appendingPathComponent(entry.notes.directory)
        guard FileManager.default.fileExists(atPath: directory) else { return nil }
        return try? await AssetArchive.open(directory: directory, loop: loop, logger: logger)
    }

    public func assetStreamingLocators(_ name: String) throws(ARMError) -> ListStreamingLocatorsResponse {
        guard let entry = assets[Self.key(name)] else { throw .resourceNotFound(type: "asset", name: name) }
        let items = locators.values
            .filter { $0.properties?.assetName?.lowercased() == entry.name.lowercased() }
            .sorted { ($0.properties?.created ?? .distantPast, $0.name ?? "") < ($1.properties?.created ?? .distantPast, $1.name ?? "") }
            .map { locator in
                AssetStreamingLocator(name: locator.name, assetName: entry.name, created: locator.properties?.created,
                                      startTime: locator.properties?.startTime, endTime: locator.properties?.endTime,
                                      streamingLocatorId: locator.properties?.streamingLocatorId,
                                      streamingPolicyName: locator.properties?.streamingPolicyName,
                                      defaultContentKeyPolicyName: locator.properties?.defaultContentKeyPolicyName)
            }
        return ListStreamingLocatorsResponse(streamingLocators: items)
    }

    // MARK: - Streaming locators

    public func locatorList(account: ResourceID) -> [StreamingLocator] {
        locators.values.map { render($0, account: account) }
    }

    public func locator(_ name: String, account: ResourceID) throws(ARMError) -> StreamingLocator {
        guard let locator = locators[Self.key(name)] else { throw .resourceNotFound(type: "streaming locator", name: name) }
        return render(locator, account: account)
    }

    /// The locator as GET, list and PUT answer it: key values are left out (`listContentKeys` returns them).
    func render(_ locator: StreamingLocator, account: ResourceID) -> StreamingLocator {
        var resource = locator
        let id = account.appending(.streamingLocator, locator.name ?? "")
        resource.id = id.description
        resource.type = id.armType
        resource.properties?.contentKeys = locator.properties?.contentKeys?.map { key in
            var key = key
            key.value = nil
            return key
        }
        return resource
    }

    /// PUT: locators are immutable; 201 only (what the SDK accepts), an existing name is a conflict.
    public func createLocator(_ name: String, body: StreamingLocator, account: ResourceID) async throws(ARMError) -> StreamingLocator {
        try ResourceValidation.validateName(name, for: .streamingLocator)
        let key = Self.key(name)
        guard locators[key] == nil else {
            throw .conflict("A streaming locator named '\(name)' already exists; streaming locators cannot be updated, delete it first.")
        }
        try body.validateForCreate()
        var properties = body.properties ?? StreamingLocatorProperties()
        guard let assetName = properties.assetName, !assetName.isEmpty else {
            throw .badRequest("'properties.assetName' is required.", target: "properties.assetName")
        }
        guard let asset = assets[Self.key(assetName)] else {
            throw .badRequest("The asset '\(assetName)' does not exist.", target: "properties.assetName")
        }
        guard let policyName = properties.streamingPolicyName, !policyName.isEmpty else {
            throw .badRequest("'properties.streamingPolicyName' is required (e.g. Predefined_ClearStreamingOnly).", target: "properties.streamingPolicyName")
        }
        let policy = try streamingPolicyForLocator(policyName)
        try checkLocatorFilters(properties.filters, assetName: asset.name)
        let id = properties.streamingLocatorId?.lowercased() ?? Self.newUUID()
        if locatorsByID[Self.key(id)] != nil || eventsByPreviewLocator[Self.key(id)] != nil {
            throw .conflict("The streaming locator id '\(id)' is already used; omit it to get a new one.")
        }
        let policyProperties = policy.properties ?? StreamingPolicyProperties()
        if let keys = properties.contentKeys, !keys.isEmpty, !policyProperties.encrypts {
            throw .badRequest("Content keys were given but the streaming policy '\(policyName)' does not encrypt.", target: "properties.contentKeys")
        }
        if let name = properties.defaultContentKeyPolicyName {
            properties.defaultContentKeyPolicyName = try existingContentKeyPolicy(name, field: "properties.defaultContentKeyPolicyName")
        }
        if policyProperties.encrypts {
            let keys = try ContentKeyAssignment.assign(
                policy: policyProperties, policyName: policy.name ?? policyName, supplied: properties.contentKeys ?? [],
                defaultPolicy: properties.defaultContentKeyPolicyName ?? policyProperties.defaultContentKeyPolicyName,
                newKey: ContentKeyAssignment.randomKey)
            try checkKeysAgainstOtherLocators(keys)
            properties.contentKeys = keys
        }
        properties.assetName = asset.name
        properties.streamingPolicyName = policy.name ?? policyName
        properties.streamingLocatorId = id
        properties.created = Date()
        properties.contentKeys = properties.contentKeys ?? []
        var locator = StreamingLocator(systemData: systemData(created: properties.created!, modified: properties.created!), properties: properties)
        locator.name = name
        locators[key] = locator
        locatorsByID[Self.key(id)] = key
        do {
            try await persist([.put(try locatorRow(locator))])
        } catch {
            locators[key] = nil
            locatorsByID[Self.key(id)] = nil
            throw error
        }
        // Key ids are not secret (they travel in manifests); the values never reach a log.
        logger.info("streaming locator created", metadata: ["locator": "\(name)", "asset": "\(asset.name)", "id": "\(id)",
                                                            "keys": "\(properties.contentKeys?.map(\.id).joined(separator: ",") ?? "")"])
        return render(locator, account: account)
    }

    /// A key id another locator already uses must carry the same value there: key delivery answers by key id.
    private func checkKeysAgainstOtherLocators(_ keys: [StreamingLocatorContentKey]) throws(ARMError) {
        for key in keys {
            for other in locators.values {
                guard let used = other.properties?.contentKeys?.first(where: { $0.id.lowercased() == key.id.lowercased() }) else { continue }
                guard let value = used.value, let mine = key.value, Data(base64Encoded: value) == Data(base64Encoded: mine) else {
                    throw .badRequest("The content key id '\(key.id)' is already used by streaming locator '\(other.name ?? "")' with another value; use a new id, or the same value.",
                                      target: "properties.contentKeys")
                }
            }
        }
    }

    /// DELETE: its URLs answer 404 from now on. Absent → false (204).
    public func deleteLocator(_ name: String) async throws(ARMError) -> Bool {
        let key = Self.key(name)
        guard let locator = locators.removeValue(forKey: key) else { return false }
        if let id = locator.properties?.streamingLocatorId { locatorsByID[Self.key(id)] = nil }
        try await persist([.delete(.streamingLocator, parent: "", name: locator.name ?? name)])
        return true
    }

    public func locatorPaths(_ name: String) throws(ARMError) -> ListPathsResponse {
        guard let locator = locators[Self.key(name)], let properties = locator.properties else {
            throw .resourceNotFound(type: "streaming locator", name: name)
        }
        let policy = try streamingPolicyForLocator(properties.streamingPolicyName ?? "")
        let manifest = properties.assetName.flatMap { assets[Self.key($0)]?.notes.manifestName }
        return ListPathsResponse.build(locatorId: properties.streamingLocatorId ?? "", manifestNames: manifest.map { [$0] } ?? [],
                                       policy: policy.properties ?? StreamingPolicyProperties())
    }

    /// POST `listContentKeys`: the keys with their values.
    public func locatorContentKeys(_ name: String) throws(ARMError) -> ListContentKeysResponse {
        guard let locator = locators[Self.key(name)] else { throw .resourceNotFound(type: "streaming locator", name: name) }
        return ListContentKeysResponse(contentKeys: locator.properties?.contentKeys ?? [])
    }

    // MARK: - Streaming policies

    public func policyList(account: ResourceID) -> [StreamingPolicy] {
        StreamingPolicy.predefined.map { render($0, account: account) }
            + customPolicies.values.map { render($0.resource, account: account) }
    }

    public func policy(_ name: String, account: ResourceID) throws(ARMError) -> StreamingPolicy {
        if let builtIn = StreamingPolicy.predefined(named: name) { return render(builtIn, account: account) }
        guard let stored = customPolicies[Self.key(name)] else { throw .resourceNotFound(type: "streaming policy", name: name) }
        return render(stored.resource, account: account)
    }

    func render(_ policy: StreamingPolicy, account: ResourceID) -> StreamingPolicy {
        var resource = policy
        let id = account.appending(.streamingPolicy, policy.name ?? "")
        resource.id = id.description
        resource.type = id.armType
        return resource
    }

    /// The policy a locator names: a built-in or a custom one.
    func streamingPolicyForLocator(_ name: String) throws(ARMError) -> StreamingPolicy {
        if let builtIn = StreamingPolicy.predefined(named: name) { return builtIn }
        if let stored = customPolicies[Self.key(name)] { return stored.resource }
        throw .badRequest("The streaming policy '\(name)' does not exist; use one of \(StreamingPolicy.predefined.compactMap(\.name).joined(separator: ", ")) or create it.", target: "properties.streamingPolicyName")
    }

    /// PUT: 201 only; policies are immutable.
    public func createPolicy(_ name: String, body: StreamingPolicy, account: ResourceID) async throws(ARMError) -> StreamingPolicy {
        try ResourceValidation.validateName(name, for: .streamingPolicy)
        if StreamingPolicy.predefined(named: name) != nil || customPolicies[Self.key(name)] != nil {
            throw .conflict("A streaming policy named '\(name)' already exists; streaming policies cannot be updated.")
        }
        var policy = body
        try policy.validateForCreate(name: name)
        // The content key policies it names must exist (and then cannot be deleted while it does).
        if let properties = policy.properties {
            if let name = properties.defaultContentKeyPolicyName {
                policy.properties?.defaultContentKeyPolicyName = try existingContentKeyPolicy(name, field: "properties.defaultContentKeyPolicyName")
            }
            for scheme in properties.encryptingSchemes {
                let field = "properties.\(scheme.scheme.propertyName).contentKeys"
                if let name = scheme.contentKeys?.defaultKey?.policyName {
                    _ = try existingContentKeyPolicy(name, field: "\(field).defaultKey.policyName")
                }
                for (index, mapping) in (scheme.contentKeys?.keyToTrackMappings ?? []).enumerated() {
                    if let name = mapping.policyName { _ = try existingContentKeyPolicy(name, field: "\(field).keyToTrackMappings[\(index)].policyName") }
                }
            }
        }
        policy.name = name
        let now = Date()
        policy.properties?.created = now
        policy.systemData = systemData(created: now, modified: now)
        customPolicies[Self.key(name)] = StoredPolicy(resource: policy)
        do {
            try await persist([.put(StoredRow(kind: .streamingPolicy, name: name, body: try encode(policy), created: now))])
        } catch {
            customPolicies[Self.key(name)] = nil
            throw error
        }
        return render(policy, account: account)
    }

    public func deletePolicy(_ name: String) async throws(ARMError) -> Bool {
        if StreamingPolicy.predefined(named: name) != nil {
            throw .badRequest("'\(name)' is a built-in streaming policy and cannot be deleted.")
        }
        guard let stored = customPolicies.removeValue(forKey: Self.key(name)) else { return false }
        if let user = locators.values.first(where: { $0.properties?.streamingPolicyName?.lowercased() == name.lowercased() }) {
            customPolicies[Self.key(name)] = stored
            throw .invalidOperation("The streaming policy '\(name)' is used by streaming locator '\(user.name ?? "")'; delete the locator first.")
        }
        try await persist([.delete(.streamingPolicy, parent: "", name: stored.resource.name ?? name)])
        return true
    }
}
