import AMSModels
import Foundation
import Packaging

// Account filters and asset filters (spec/ams-live.md §8): synchronous resources, as the service. What they say is
// applied by the origin to every manifest a locator serves (`filter=` in the URL, the locator's `filters`).
extension MediaServices {
    /// Which of the two filter collections a call addresses.
    public enum FilterScope: Sendable, Equatable {
        case account
        case asset(String)
    }

    // MARK: - Reads

    public func filterList(_ scope: FilterScope, account: ResourceID) throws(ARMError) -> [MediaFilter] {
        try filters(in: scope).values
            .sorted { ($0.systemData?.createdAt ?? .distantPast, $0.name ?? "") < ($1.systemData?.createdAt ?? .distantPast, $1.name ?? "") }
            .map { render($0, scope: scope, account: account) }
    }

    public func filter(_ scope: FilterScope, _ name: String, account: ResourceID) throws(ARMError) -> MediaFilter {
        guard let filter = try filters(in: scope)[Self.key(name)] else { throw .resourceNotFound(type: scope.kind.displayName, name: name) }
        return render(filter, scope: scope, account: account)
    }

    // MARK: - Writes

    /// PUT: creates (201) or replaces (200) a filter.
    public func createOrUpdateFilter(_ scope: FilterScope, _ name: String, body: MediaFilter,
                                     account: ResourceID) async throws(ARMError) -> (MediaFilter, created: Bool) {
        let scope = try canonical(scope)
        try ResourceValidation.validateName(name, for: scope.kind)
        var collection = try filters(in: scope)
        let key = Self.key(name)
        let properties = body.properties ?? MediaFilterProperties()
        _ = try properties.validated(name: name)
        let now = Date()
        let existing = collection[key]
        if existing == nil, collection.count >= MediaFilterProperties.maximumCount {
            throw .badRequest("There are already \(MediaFilterProperties.maximumCount) \(scope.kind.displayName)s\(scope.ownerText); delete one first.")
        }
        var filter = MediaFilter(systemData: systemData(created: existing?.systemData?.createdAt ?? now, modified: now),
                                 properties: properties)
        filter.name = existing?.name ?? name
        collection[key] = filter
        try await save(collection, scope: scope, changed: filter)
        logger.info("\(scope.kind.displayName) \(existing == nil ? "created" : "replaced")", metadata: ["filter": "\(filter.name ?? name)"])
        return (render(filter, scope: scope, account: account), existing == nil)
    }

    /// PATCH: the parts the body carries replace the stored ones.
    public func updateFilter(_ scope: FilterScope, _ name: String, patch: MediaFilter, account: ResourceID) async throws(ARMError) -> MediaFilter {
        let scope = try canonical(scope)
        var collection = try filters(in: scope)
        let key = Self.key(name)
        guard var filter = collection[key] else { throw .resourceNotFound(type: scope.kind.displayName, name: name) }
        var properties = filter.properties ?? MediaFilterProperties()
        if let incoming = patch.properties {
            if let range = incoming.presentationTimeRange { properties.presentationTimeRange = range }
            if let first = incoming.firstQuality { properties.firstQuality = first }
            if let tracks = incoming.tracks { properties.tracks = tracks }
        }
        _ = try properties.validated(name: filter.name ?? name)
        filter.properties = properties
        filter.systemData?.lastModifiedAt = Date()
        collection[key] = filter
        try await save(collection, scope: scope, changed: filter)
        return render(filter, scope: scope, account: account)
    }

    /// DELETE: absent → false (204). Refused while a streaming locator names it in its `filters`.
    public func deleteFilter(_ scope: FilterScope, _ name: String) async throws(ARMError) -> Bool {
        let scope = try canonical(scope)
        var collection = try filters(in: scope)
        let key = Self.key(name)
        guard let filter = collection.removeValue(forKey: key) else { return false }
        let users = locators.values.filter { locator in
            guard locator.properties?.filters?.contains(where: { Self.key($0) == key }) == true else { return false }
            switch scope {
            case .account:
                // An asset filter of the same name shadows the account filter for that locator.
                let asset = Self.key(locator.properties?.assetName ?? "")
                return assetFilters[asset]?[key] == nil
            case .asset(let assetName):
                return Self.key(locator.properties?.assetName ?? "") == Self.key(assetName)
            }
        }
        if let user = users.first {
            throw .badRequest("The \(scope.kind.displayName) '\(filter.name ?? name)' is used by streaming locator '\(user.name ?? "")'; delete the locator first.")
        }
        switch scope {
        case .account: accountFilters = collection
        case .asset(let asset): assetFilters[Self.key(asset)] = collection
        }
        try await persist([.delete(scope.storedKind, parent: scope.parent, name: filter.name ?? name)])
        return true
    }

    // MARK: - For locators and the origin

    /// Checks a new locator's `filters`: each names an asset filter of its asset or an account filter.
    func checkLocatorFilters(_ names: [String]?, assetName: String) throws(ARMError) {
        guard let names else { return }
        if names.count > ManifestOptions.maximumFilterCount {
            throw .badRequest("A streaming locator names at most \(ManifestOptions.maximumFilterCount) filters; it names \(names.count).", target: "properties.filters")
        }
        for name in names where assetFilters[Self.key(assetName)]?[Self.key(name)] == nil && accountFilters[Self.key(name)] == nil {
            throw .badRequest("The filter '\(name)' is neither an asset filter of '\(assetName)' nor an account filter.", target: "properties.filters")
        }
    }

    /// What the origin may apply for a locator of `assetName`: its `filters` always, and every filter `filter=` may name.
    func filterSet(assetName: String, locatorFilters: [String]?) -> FilterSet {
        let named = compiledAccountFilters.merging(compiledAssetFilters[Self.key(assetName)] ?? [:]) { _, asset in asset }
        let always = (locatorFilters ?? []).compactMap { named[Self.key($0)] }
        return FilterSet(always: always, named: named)
    }

    /// Stored filters in the packager's terms (each was validated when it was written).
    static func compile(_ filters: [String: MediaFilter]) -> [String: PresentationFilter] {
        filters.compactMapValues { filter in try? (filter.properties ?? MediaFilterProperties()).validated(name: filter.name ?? "") }
    }

    /// Forgets an asset's filters with the asset (the caller persists the asset's deletion).
    func dropAssetFilters(_ assetName: String) -> [StoreChange] {
        assetFilters[Self.key(assetName)] = nil
        return [.deleteChildren(.assetFilter, parent: assetName)]
    }

    /// Loads both collections at start.
    func loadFilters() async throws {
        var account: [String: MediaFilter] = [:]
        for row in try await store.rows(.accountFilter) {
            account[Self.key(row.name)] = try decodeStored(MediaFilter.self, row.body, what: "account filter '\(row.name)'")
        }
        var byAsset: [String: [String: MediaFilter]] = [:]
        for row in try await store.rows(.assetFilter) {
            let filter = try decodeStored(MediaFilter.self, row.body, what: "asset filter '\(row.parent)/\(row.name)'")
            byAsset[Self.key(row.parent), default: [:]][Self.key(row.name)] = filter
        }
        accountFilters = account
        assetFilters = byAsset
    }

    // MARK: - Helpers

    /// The scope with the asset's name as stored (paths may spell it in another case).
    private func canonical(_ scope: FilterScope) throws(ARMError) -> FilterScope {
        guard case .asset(let name) = scope else { return scope }
        guard let entry = assets[Self.key(name)] else { throw .resourceNotFound(type: "asset", name: name) }
        return .asset(entry.name)
    }

    private func filters(in scope: FilterScope) throws(ARMError) -> [String: MediaFilter] {
        switch scope {
        case .account:
            return accountFilters
        case .asset(let name):
            guard assets[Self.key(name)] != nil else { throw .resourceNotFound(type: "asset", name: name) }
            return assetFilters[Self.key(name)] ?? [:]
        }
    }

    private func save(_ collection: [String: MediaFilter], scope: FilterScope, changed filter: MediaFilter) async throws(ARMError) {
        var stored = filter
        stored.id = nil
        stored.type = nil
        let row = StoredRow(kind: scope.storedKind, parent: scope.parent, name: filter.name ?? "", body: try encode(stored),
                            created: filter.systemData?.createdAt ?? Date())
        try await persist([.put(row)])
        switch scope {
        case .account: accountFilters = collection
        case .asset(let asset): assetFilters[Self.key(asset)] = collection
        }
    }

    private func render(_ filter: MediaFilter, scope: FilterScope, account: ResourceID) -> MediaFilter {
        var resource = filter
        let id: ResourceID
        switch scope {
        case .account: id = account.appending(.accountFilter, filter.name ?? "")
        case .asset(let asset):
            let assetName = assets[Self.key(asset)]?.name ?? asset
            id = account.appending(.asset, assetName).appending(.assetFilter, filter.name ?? "")
        }
        resource.id = id.description
        resource.type = id.armType
        return resource
    }
}

extension MediaServices.FilterScope {
    var kind: ResourceKind {
        switch self {
        case .account: .accountFilter
        case .asset: .assetFilter
        }
    }

    var storedKind: StoredKind {
        switch self {
        case .account: .accountFilter
        case .asset: .assetFilter
        }
    }

    /// The stored row's parent: the asset's name for asset filters.
    var parent: String {
        switch self {
        case .account: ""
        case .asset(let name): name
        }
    }

    /// " in this account" / " on asset 'a'" for messages.
    var ownerText: String {
        switch self {
        case .account: " in this account"
        case .asset(let name): " on asset '\(name)'"
        }
    }
}
