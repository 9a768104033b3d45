// Where the API is, how to authenticate, which ARM account path to use, and how long to wait.
import Foundation

/// Settings of one CLI invocation; every field has the documented default.
public struct ClientConfiguration: Sendable {
    /// The subscription id used in ARM paths when none is given (the box accepts any).
    public static let defaultSubscription = "00000000-0000-0000-0000-000000000000"
    /// The API address when neither `--api` nor `EDGELIVE_API` is set.
    public static let defaultAPI = "http://127.0.0.1:8090"

    /// API base URL without a trailing slash, `http://host:port`.
    public var apiURL: String
    /// Bearer token sent on every request.
    public var token: String
    /// ARM subscription id. Default all zeros.
    public var subscription: String
    /// ARM resource group. Default `edgelive`.
    public var resourceGroup: String
    /// Media Services account name. Default `edgelive`.
    public var account: String
    /// Delay between polls of a long-running operation that sends no `Retry-After`. Default 1 s.
    public var defaultPollInterval: Duration
    /// How long to wait for a long-running operation before giving up. Default 10 minutes.
    public var operationTimeout: Duration
    /// How long one HTTP exchange may take. Default 30 s.
    public var requestTimeout: Duration

    /// Creates a configuration; `apiURL` loses any trailing slash.
    public init(apiURL: String, token: String, subscription: String = ClientConfiguration.defaultSubscription,
                resourceGroup: String = "edgelive", account: String = "edgelive",
                defaultPollInterval: Duration = .seconds(1), operationTimeout: Duration = .seconds(600),
                requestTimeout: Duration = .seconds(30)) {
        var base = apiURL
        while base.hasSuffix("/") { base.removeLast() }
        self.apiURL = base
        self.token = token
        self.subscription = subscription
        self.resourceGroup = resourceGroup
        self.account = account
        self.defaultPollInterval = defaultPollInterval
        self.operationTimeout = operationTimeout
        self.requestTimeout = requestTimeout
    }
}

// MARK: - Resolving the common options

/// The common options as given on the command line, before defaults from the environment apply.
public struct ClientOptions: Sendable {
    /// `--api`, nil when not given.
    public var api: String?
    /// `--token`, nil when not given.
    public var token: String?
    /// `--data-dir`: where `api-token` is read from when no token is given.
    public var dataDirectory: String
    /// `--subscription`.
    public var subscription: String
    /// `--resource-group`.
    public var resourceGroup: String
    /// `--account`.
    public var account: String

    /// Creates options; defaults match the CLI's.
    public init(api: String? = nil, token: String? = nil, dataDirectory: String = "./data",
                subscription: String = ClientConfiguration.defaultSubscription, resourceGroup: String = "edgelive", account: String = "edgelive") {
        self.api = api
        self.token = token
        self.dataDirectory = dataDirectory
        self.subscription = subscription
        self.resourceGroup = resourceGroup
        self.account = account
    }

    /// Applies `EDGELIVE_API`, `EDGELIVE_TOKEN` and `<data-dir>/api-token`; throws when no token can be found.
    public func resolve(environment: [String: String]) throws(ClientError) -> ClientConfiguration {
        let api = try Self.resolveAPI(explicit: api, environment: environment)
        let token = try Self.resolveToken(explicit: token, environment: environment, dataDirectory: dataDirectory)
        return ClientConfiguration(apiURL: api, token: token, subscription: subscription, resourceGroup: resourceGroup, account: account)
    }

    /// `--api`, else `EDGELIVE_API`, else the default; only `http://` URLs are accepted.
    static func resolveAPI(explicit: String?, environment: [String: String]) throws(ClientError) -> String {
        let source: String
        let value: String
        if let explicit {
            (source, value) = ("--api", explicit)
        } else if let fromEnvironment = environment["EDGELIVE_API"], !fromEnvironment.isEmpty {
            (source, value) = ("EDGELIVE_API", fromEnvironment)
        } else {
            return ClientConfiguration.defaultAPI
        }
        guard value.hasPrefix("http://"), value.count > "http://".count else {
            throw .usage("\(source) '\(value)' is not an http:// URL", hint: "use the daemon's API address, e.g. \(ClientConfiguration.defaultAPI)")
        }
        return value
    }

    /// `--token`, else `EDGELIVE_TOKEN`, else the first line of `<dataDirectory>/api-token`.
    static func resolveToken(explicit: String?, environment: [String: String], dataDirectory: String) throws(ClientError) -> String {
        if let explicit {
            let trimmed = explicit.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !trimmed.isEmpty else { throw .usage("--token is empty", hint: ClientError.tokenHint) }
            return trimmed
        }
        if let fromEnvironment = environment["EDGELIVE_TOKEN"]?.trimmingCharacters(in: .whitespacesAndNewlines), !fromEnvironment.isEmpty {
            return fromEnvironment
        }
        let path = dataDirectory.hasSuffix("/") ? dataDirectory + "api-token" : dataDirectory + "/api-token"
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            let reason = FileManager.default.fileExists(atPath: path) ? "it cannot be read (permissions?)" : "it does not exist"
            throw ClientError(.authentication,
                              message: "no API token: --token not given, EDGELIVE_TOKEN not set, and the token file \(path) was tried but \(reason)",
                              hint: ClientError.tokenHint)
        }
        let token = text.split(whereSeparator: \.isNewline).first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        guard !token.isEmpty else {
            throw ClientError(.authentication, message: "the token file \(path) is empty", hint: ClientError.tokenHint)
        }
        return token
    }
}
