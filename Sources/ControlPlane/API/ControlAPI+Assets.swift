// The control API's asset family: assets and the streaming locators that publish them.
import AMSModels
import Foundation
import HTTP

extension ControlAPI {
    /// Assets and streaming locators.
    func assets(_ c: Context) async throws(ARMError) -> HTTPResponse {
        let s = services
        switch (c.route.target, c.route.method) {
        case (.assets, .get):
            return try list(c, await s.assetList(account: c.account), count: false, filterable: true) { asset, path in
                Self.odata(path, name: asset.name, created: asset.properties?.created, modified: asset.properties?.lastModified,
                           extra: ["properties/alternateid": asset.properties?.alternateId, "properties/assetid": asset.properties?.assetId,
                                   "properties/container": asset.properties?.container, "properties/description": asset.properties?.description])
            }
        case (.asset(let name), .get):
            return try Self.json(await s.asset(name, account: c.account))
        case (.asset(let name), .put):
            let body = try c.decodeIfPresent(Asset.self) ?? Asset()
            let (asset, created) = try await s.createOrUpdateAsset(name, body: body, account: c.account)
            return try Self.json(asset, status: created ? 201 : 200)
        case (.asset(let name), .patch):
            let patch = try c.decode(Asset.self)
            return try Self.json(await s.updateAsset(name, patch: patch, account: c.account))
        case (.asset(let name), .delete):
            return try await s.deleteAsset(name) ? Self.ok : Self.noContent
        case (.assetAction(let name, .listStreamingLocators), .post):
            return try Self.json(await s.assetStreamingLocators(name))
        case (.assetAction(let name, let action), .post):
            _ = try await s.asset(name, account: c.account)
            throw ARMError(status: 400, code: "NotSupported",
                           message: "'\(action.rawValue)' is not available on this box: assets live on its disk, not in a storage account.")

        // Streaming locators
        case (.streamingLocators, .get):
            return try list(c, await s.locatorList(account: c.account), count: false, filterable: true) { locator, path in
                let p = locator.properties
                return Self.odata(path, name: locator.name, created: p?.created, modified: nil,
                                  extra: ["properties/assetname": p?.assetName, "properties/streaminglocatorid": p?.streamingLocatorId,
                                          "properties/streamingpolicyname": p?.streamingPolicyName],
                                  dates: ["properties/starttime": p?.startTime, "properties/endtime": p?.endTime])
            }
        case (.streamingLocator(let name), .get):
            return try Self.json(await s.locator(name, account: c.account))
        case (.streamingLocator(let name), .put):
            let body = try c.decode(StreamingLocator.self)
            return try Self.json(await s.createLocator(name, body: body, account: c.account), status: 201)
        case (.streamingLocator(let name), .delete):
            return try await s.deleteLocator(name) ? Self.ok : Self.noContent
        case (.streamingLocatorAction(let name, .listPaths), .post):
            return try Self.json(await s.locatorPaths(name))
        case (.streamingLocatorAction(let name, .listContentKeys), .post):
            return try Self.json(await s.locatorContentKeys(name))
        default:
            throw methodNotAllowed(c)
        }
    }
}
