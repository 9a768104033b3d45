// The control API's filter family: account filters and asset filters.
import AMSModels
import Foundation
import HTTP

extension ControlAPI {
    /// Account and asset filters.
    func filters(_ c: Context) async throws(ARMError) -> HTTPResponse {
        let s = services
        switch (c.route.target, c.route.method) {
        case (.accountFilters, .get):
            return try list(c, await s.filterList(.account, account: c.account), count: false)
        case (.assetFilters(let asset), .get):
            return try list(c, await s.filterList(.asset(asset), account: c.account), count: false)
        case (.accountFilter(let name), _), (.assetFilter(_, let name), _):
            var scope = MediaServices.FilterScope.account
            if case .assetFilter(let asset, _) = c.route.target { scope = .asset(asset) }
            return try await filterRequest(c, scope, name)
        default:
            throw methodNotAllowed(c)
        }
    }

    private func filterRequest(_ c: Context, _ scope: MediaServices.FilterScope, _ name: String) async throws(ARMError) -> HTTPResponse {
        let s = services
        switch c.route.method {
        case .get:
            return try Self.json(await s.filter(scope, name, account: c.account))
        case .put:
            let body = try c.decode(MediaFilter.self)
            let (filter, created) = try await s.createOrUpdateFilter(scope, name, body: body, account: c.account)
            return try Self.json(filter, status: created ? 201 : 200)
        case .patch:
            let patch = try c.decode(MediaFilter.self)
            return try Self.json(await s.updateFilter(scope, name, patch: patch, account: c.account))
        case .delete:
            return try await s.deleteFilter(scope, name) ? Self.ok : Self.noContent
        case .post:
            throw ARMError(status: 405, code: "MethodNotAllowed", message: "POST is not allowed on a filter; use GET, PUT, PATCH or DELETE.")
        }
    }
}
