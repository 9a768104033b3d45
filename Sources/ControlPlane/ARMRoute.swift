// Request routing for the ARM control API: method + path → which resource or action, matched case-insensitively like ARM.
import AMSModels
import Foundation

/// The HTTP methods the control API answers.
public enum ARMMethod: String, Sendable, Hashable, CaseIterable {
    case get = "GET", put = "PUT", patch = "PATCH", delete = "DELETE", post = "POST"
}

/// POST actions on a live event.
public enum LiveEventAction: String, Sendable, Hashable, CaseIterable {
    case allocate, start, stop, reset, getStatus, getStreamEvents, getTrackIngestHeartbeats
}

/// POST actions on an asset.
public enum AssetAction: String, Sendable, Hashable, CaseIterable {
    case listStreamingLocators, listContainerSas, getEncryptionKey
}

/// POST actions on a streaming locator.
public enum StreamingLocatorAction: String, Sendable, Hashable, CaseIterable {
    case listPaths, listContentKeys
}

/// POST actions on a content key policy.
public enum ContentKeyPolicyAction: String, Sendable, Hashable, CaseIterable {
    case getPolicyPropertiesWithSecrets
}

/// POST actions on a streaming endpoint.
public enum StreamingEndpointAction: String, Sendable, Hashable, CaseIterable {
    case start, stop, scale
}

/// The API's resource families, one handler each.
public enum ResourceFamily: Sendable, Hashable, CaseIterable {
    /// The account itself.
    case account
    /// Live events and their live outputs.
    case liveEvents
    /// Assets and the streaming locators that publish them.
    case assets
    /// Streaming policies and content key policies.
    case protection
    /// Account and asset filters.
    case filters
    case streamingEndpoints
}

/// A routed request: the account prefix as the client spelled it, the target, and the method.
public struct ARMRoute: Sendable, Hashable {
    /// What the path addresses below the account.
    public enum Target: Sendable, Hashable {
        /// `GET .../mediaservices/{account}`.
        case account
        /// `.../liveEvents`.
        case liveEvents
        /// `.../liveEvents/{liveEvent}`.
        case liveEvent(String)
        /// `POST .../liveEvents/{liveEvent}/{action}`.
        case liveEventAction(String, LiveEventAction)
        /// `.../liveEventOperations/{operationId}` (Azure-AsyncOperation target).
        case liveEventOperation(String)
        /// `.../liveEvents/{liveEvent}/operationLocations/{operationId}` (Location target).
        case liveEventOperationLocation(liveEvent: String, operationId: String)
        /// `.../liveEvents/{liveEvent}/liveOutputs`.
        case liveOutputs(liveEvent: String)
        /// `.../liveEvents/{liveEvent}/liveOutputs/{liveOutput}`.
        case liveOutput(liveEvent: String, liveOutput: String)
        /// `.../liveOutputOperations/{operationId}`.
        case liveOutputOperation(String)
        /// `.../liveEvents/{liveEvent}/liveOutputs/{liveOutput}/operationLocations/{operationId}`.
        case liveOutputOperationLocation(liveEvent: String, liveOutput: String, operationId: String)
        /// `.../assets`.
        case assets
        /// `.../assets/{asset}`.
        case asset(String)
        /// `POST .../assets/{asset}/{action}`.
        case assetAction(String, AssetAction)
        /// `.../streamingLocators`.
        case streamingLocators
        /// `.../streamingLocators/{locator}`.
        case streamingLocator(String)
        /// `POST .../streamingLocators/{locator}/{action}`.
        case streamingLocatorAction(String, StreamingLocatorAction)
        /// `.../streamingPolicies`.
        case streamingPolicies
        /// `.../streamingPolicies/{policy}`.
        case streamingPolicy(String)
        /// `.../contentKeyPolicies`.
        case contentKeyPolicies
        /// `.../contentKeyPolicies/{policy}`.
        case contentKeyPolicy(String)
        /// `POST .../contentKeyPolicies/{policy}/{action}`.
        case contentKeyPolicyAction(String, ContentKeyPolicyAction)
        /// `.../streamingEndpoints`.
        case streamingEndpoints
        /// `.../streamingEndpoints/{endpoint}`.
        case streamingEndpoint(String)
        /// `POST .../streamingEndpoints/{endpoint}/{action}`.
        case streamingEndpointAction(String, StreamingEndpointAction)
        /// `GET .../streamingEndpoints/{endpoint}/skus`.
        case streamingEndpointSkus(String)
        /// `.../streamingEndpointOperations/{operationId}`.
        case streamingEndpointOperation(String)
        /// `.../streamingEndpoints/{endpoint}/operationLocations/{operationId}`.
        case streamingEndpointOperationLocation(streamingEndpoint: String, operationId: String)
        /// `accountFilters`
        case accountFilters
        /// `accountFilters/{name}`
        case accountFilter(String)
        /// `assets/{asset}/assetFilters`
        case assetFilters(asset: String)
        /// `assets/{asset}/assetFilters/{name}`
        case assetFilter(asset: String, filter: String)

        /// The resource family whose handler answers this target (`ControlAPI+<Family>.swift`).
        public var family: ResourceFamily {
            switch self {
            case .account: .account
            case .liveEvents, .liveEvent, .liveEventAction, .liveEventOperation, .liveEventOperationLocation,
                 .liveOutputs, .liveOutput, .liveOutputOperation, .liveOutputOperationLocation: .liveEvents
            case .assets, .asset, .assetAction, .streamingLocators, .streamingLocator, .streamingLocatorAction: .assets
            case .streamingPolicies, .streamingPolicy, .contentKeyPolicies, .contentKeyPolicy, .contentKeyPolicyAction: .protection
            case .accountFilters, .accountFilter, .assetFilters, .assetFilter: .filters
            case .streamingEndpoints, .streamingEndpoint, .streamingEndpointAction, .streamingEndpointSkus,
                 .streamingEndpointOperation, .streamingEndpointOperationLocation: .streamingEndpoints
            }
        }

        /// The methods this target answers.
        public var allowedMethods: [ARMMethod] {
            switch self {
            case .account, .liveEvents, .liveOutputs, .assets, .streamingLocators, .streamingPolicies, .contentKeyPolicies, .streamingEndpoints,
                 .liveEventOperation, .liveEventOperationLocation, .liveOutputOperation, .liveOutputOperationLocation,
                 .streamingEndpointOperation, .streamingEndpointOperationLocation, .streamingEndpointSkus,
                 .accountFilters, .assetFilters:
                [.get]
            case .liveEvent, .asset, .streamingEndpoint, .accountFilter, .assetFilter, .contentKeyPolicy:
                [.get, .put, .patch, .delete]
            // Live outputs, locators and policies are immutable: no PATCH in the swagger.
            case .liveOutput, .streamingLocator, .streamingPolicy:
                [.get, .put, .delete]
            case .liveEventAction, .assetAction, .streamingLocatorAction, .streamingEndpointAction, .contentKeyPolicyAction:
                [.post]
            }
        }
    }

    /// The account the request addresses, with subscription, group and account spelled as the client sent them.
    public var account: ResourceID
    /// What the path addresses.
    public var target: Target
    /// The request method.
    public var method: ARMMethod

    /// Creates a route.
    public init(account: ResourceID, target: Target, method: ARMMethod) {
        self.account = account
        self.target = target
        self.method = method
    }

    /// The id of the resource the target names (the parent resource for collections, actions and operation locations; nil for
    /// account-level operation status and the account-level collections).
    public var resourceID: ResourceID? {
        switch target {
        case .account: account
        case .liveEvent(let name), .liveEventAction(let name, _), .liveEventOperationLocation(let name, _), .liveOutputs(let name):
            account.appending(.liveEvent, name)
        case .liveOutput(let event, let output), .liveOutputOperationLocation(let event, let output, _):
            account.appending(.liveEvent, event).appending(.liveOutput, output)
        case .asset(let name), .assetAction(let name, _): account.appending(.asset, name)
        case .streamingLocator(let name), .streamingLocatorAction(let name, _): account.appending(.streamingLocator, name)
        case .streamingPolicy(let name): account.appending(.streamingPolicy, name)
        case .contentKeyPolicy(let name), .contentKeyPolicyAction(let name, _): account.appending(.contentKeyPolicy, name)
        case .accountFilter(let name): account.appending(.accountFilter, name)
        case .assetFilters(let asset): account.appending(.asset, asset)
        case .assetFilter(let asset, let name): account.appending(.asset, asset).appending(.assetFilter, name)
        case .streamingEndpoint(let name), .streamingEndpointAction(let name, _), .streamingEndpointSkus(let name),
             .streamingEndpointOperationLocation(let name, _):
            account.appending(.streamingEndpoint, name)
        case .liveEvents, .assets, .streamingLocators, .streamingPolicies, .contentKeyPolicies, .streamingEndpoints, .accountFilters,
             .liveEventOperation, .liveOutputOperation, .streamingEndpointOperation:
            nil
        }
    }

    // MARK: - Parsing

    /// Routes `method` + `path` (no query string); fixed segments match case-insensitively, names are percent-decoded.
    /// Throws 404 `NotFound` for an unknown path, 405 `MethodNotAllowed` listing the allowed methods, 400 for bad percent-encoding.
    public static func parse(method: String, path: String) throws(ARMError) -> ARMRoute {
        var segments: [String] = []
        for raw in path.split(separator: "/", omittingEmptySubsequences: true) {
            guard let decoded = String(raw).removingPercentEncoding else {
                throw .badRequest("The path segment '\(raw)' has invalid percent-encoding.")
            }
            segments.append(decoded)
        }
        guard let (account, target) = match(segments) else {
            throw ARMError(status: 404, code: "NotFound",
                           message: "No Microsoft.Media resource or action is served at '\(path)'. Check the path against the Azure Media Services REST API (e.g. /subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.Media/mediaservices/{account}/liveEvents).")
        }
        let allowed = target.allowedMethods
        guard let parsedMethod = ARMMethod(rawValue: method.uppercased()), allowed.contains(parsedMethod) else {
            throw ARMError(status: 405, code: "MethodNotAllowed",
                           message: "The method '\(method)' is not allowed on '\(path)'. Allowed methods: \(allowed.map(\.rawValue).joined(separator: ", ")).")
        }
        return ARMRoute(account: account, target: target, method: parsedMethod)
    }

    /// The `Allow` header value for `target` (for 405 responses).
    public static func allowHeader(for target: Target) -> String { target.allowedMethods.map(\.rawValue).joined(separator: ", ") }

    private static func match(_ segments: [String]) -> (ResourceID, Target)? {
        func fixed(_ index: Int, _ expected: String) -> Bool {
            index < segments.count && segments[index].lowercased() == expected.lowercased()
        }
        guard segments.count >= 8, fixed(0, "subscriptions"), fixed(2, "resourceGroups"), fixed(4, "providers"),
              fixed(5, "Microsoft.Media"), fixed(6, "mediaservices") else { return nil }
        let account = ResourceID(subscriptionId: segments[1], resourceGroup: segments[3], accountName: segments[7])
        let rest = segments.dropFirst(8).map { $0 }
        guard let target = matchTarget(rest) else { return nil }
        return (account, target)
    }

    /// Matches the segments after the account; fixed words compare lower-cased, names are passed through as sent.
    private static func matchTarget(_ s: [String]) -> Target? {
        let words = s.enumerated().map { $0.offset % 2 == 0 ? $0.element.lowercased() : $0.element }
        switch words.count {
        case 0:
            return .account
        case 1:
            switch words[0] {
            case "liveevents": return .liveEvents
            case "assets": return .assets
            case "streaminglocators": return .streamingLocators
            case "streamingpolicies": return .streamingPolicies
            case "contentkeypolicies": return .contentKeyPolicies
            case "streamingendpoints": return .streamingEndpoints
            case "accountfilters": return .accountFilters
            default: return nil
            }
        case 2:
            let name = words[1]
            switch words[0] {
            case "liveevents": return .liveEvent(name)
            case "liveeventoperations": return .liveEventOperation(name)
            case "liveoutputoperations": return .liveOutputOperation(name)
            case "assets": return .asset(name)
            case "streaminglocators": return .streamingLocator(name)
            case "streamingpolicies": return .streamingPolicy(name)
            case "contentkeypolicies": return .contentKeyPolicy(name)
            case "streamingendpoints": return .streamingEndpoint(name)
            case "streamingendpointoperations": return .streamingEndpointOperation(name)
            case "accountfilters": return .accountFilter(name)
            default: return nil
            }
        case 3:
            // Odd positions are names, so the action word (position 2) is compared lower-cased against the enum.
            let name = words[1], action = words[2]
            func find<A: RawRepresentable & CaseIterable>(_: A.Type) -> A? where A.RawValue == String {
                A.allCases.first { $0.rawValue.lowercased() == action }
            }
            switch words[0] {
            case "liveevents":
                if action == "liveoutputs" { return .liveOutputs(liveEvent: name) }
                return find(LiveEventAction.self).map { .liveEventAction(name, $0) }
            case "assets":
                if action == "assetfilters" { return .assetFilters(asset: name) }
                return find(AssetAction.self).map { .assetAction(name, $0) }
            case "streaminglocators": return find(StreamingLocatorAction.self).map { .streamingLocatorAction(name, $0) }
            case "contentkeypolicies": return find(ContentKeyPolicyAction.self).map { .contentKeyPolicyAction(name, $0) }
            case "streamingendpoints":
                if action == "skus" { return .streamingEndpointSkus(name) }
                return find(StreamingEndpointAction.self).map { .streamingEndpointAction(name, $0) }
            default: return nil
            }
        case 4:
            switch (words[0], words[2]) {
            case ("liveevents", "operationlocations"): return .liveEventOperationLocation(liveEvent: words[1], operationId: words[3])
            case ("liveevents", "liveoutputs"): return .liveOutput(liveEvent: words[1], liveOutput: words[3])
            case ("assets", "assetfilters"): return .assetFilter(asset: words[1], filter: words[3])
            case ("streamingendpoints", "operationlocations"): return .streamingEndpointOperationLocation(streamingEndpoint: words[1], operationId: words[3])
            default: return nil
            }
        case 6:
            guard words[0] == "liveevents", words[2] == "liveoutputs", words[4] == "operationlocations" else { return nil }
            return .liveOutputOperationLocation(liveEvent: words[1], liveOutput: words[3], operationId: words[5])
        default:
            return nil
        }
    }
}
