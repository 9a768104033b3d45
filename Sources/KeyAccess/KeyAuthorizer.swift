// Key delivery's decision (spec/ams-live.md §7.3): does this request get this key under its content key policy?
import EventLoop
import Foundation
import Logging
import Protection

/// Decides which requests get a content key: the first option of the key's policy that delivers what is asked and whose
/// restriction the request satisfies. Open options always do; token options want a JWT signed by one of the policy's
/// keys (or a key of its OpenID Connect discovery document) whose claims match.
///
/// An actor because two checks keep state: how often each `maxuses` token was used, and the discovery documents' keys
/// (cached for `Configuration.discoveryCacheLifetime`). Signature checks run here too, off the event loop.
public actor KeyAuthorizer {
    /// Settings; every field has a default.
    public struct Configuration: Sendable {
        /// How far a token's `exp` and `nbf` may be off the box's clock. Default 5 minutes: issuers' and players'
        /// clocks drift, and the service's own sample issues `nbf` = now − 5 min for the same reason.
        public var clockSkew: TimeInterval
        /// How far ahead a token carrying `urn:microsoft:azure:mediaservices:maxuses` may expire. Default 1 hour,
        /// the service's rule; counting a token's uses only works while the box remembers it.
        public var maxUsesLifetime: TimeInterval
        /// How long a discovery document's keys are used before they are fetched again. Default 15 minutes, the
        /// time the service gives policy changes to reach its key delivery caches.
        public var discoveryCacheLifetime: TimeInterval
        /// A token naming a `kid` the cached key set lacks refetches the set once it is this old (the issuer rotated
        /// its keys). Default 1 minute, so unknown `kid`s cannot make the box hammer the issuer.
        public var discoveryRefreshInterval: TimeInterval
        /// Timeout of each fetch (document, key set). Default 3 s: the issuer is on the LAN, and a player waits.
        public var discoveryTimeout: Duration

        public init(clockSkew: TimeInterval = 300, maxUsesLifetime: TimeInterval = 3_600, discoveryCacheLifetime: TimeInterval = 900,
                    discoveryRefreshInterval: TimeInterval = 60, discoveryTimeout: Duration = .seconds(3)) {
            self.clockSkew = clockSkew
            self.maxUsesLifetime = maxUsesLifetime
            self.discoveryCacheLifetime = discoveryCacheLifetime
            self.discoveryRefreshInterval = discoveryRefreshInterval
            self.discoveryTimeout = discoveryTimeout
        }
    }

    public nonisolated let configuration: Configuration
    private let fetcher: any KeyDocumentFetcher
    private let logger: Logger
    /// Uses of `maxuses` tokens by token id (signature), kept until the token expires.
    private var uses: [String: (count: Int, expires: Date)] = [:]
    /// Discovery documents' keys by document URL, with when they were fetched.
    private var discovered: [String: (keys: DiscoveredKeys, fetched: Date)] = [:]
    /// Fetches under way, so concurrent requests share one.
    private var fetches: [String: Task<DiscoveredKeys, any Error>] = [:]
    /// Policy keys read once; policies are few, and a key that changes is a new entry.
    private var verifiers: [TokenVerificationKey: SignatureVerifier] = [:]
    private static let verifierCacheLimit = 256

    public init(fetcher: any KeyDocumentFetcher, configuration: Configuration = Configuration(), logger: Logger) {
        var logger = logger
        logger[metadataKey: "component"] = "keydelivery"
        self.fetcher = fetcher
        self.configuration = configuration
        self.logger = logger
    }

    /// Fetches discovery documents with the project's HTTP client on `loop`.
    public init(loop: EventLoop, configuration: Configuration = Configuration(), logger: Logger) {
        self.init(fetcher: HTTPKeyDocumentFetcher(loop: loop), configuration: configuration, logger: logger)
    }

    /// The grant's key, when `token` (a compact JWT, nil when the request has none) satisfies an option of the grant's
    /// policy that delivers `deliver`; otherwise why not. A `maxuses` token is counted once per granted call.
    public func authorize(_ grant: KeyGrant, token: String?, deliver: KeyConfiguration, now: Date = Date()) async -> Result<ContentKey, KeyDenial> {
        switch await authorize([grant], token: token, deliver: deliver, now: now) {
        case .success(let keys): .success(keys[0])
        case .failure(let denial): .failure(denial)
        }
    }

    /// All the grants' keys for one request (a Clear Key licence asking for several), or the first denial: one refused
    /// key refuses the request. A `maxuses` token is counted once for the whole request.
    public func authorize(_ grants: [KeyGrant], token: String?, deliver: KeyConfiguration, now: Date = Date()) async -> Result<[ContentKey], KeyDenial> {
        let presented: Result<PresentedToken, KeyDenial>?
        if let token, !token.isEmpty {
            do throws(KeyDenial) { presented = .success(try PresentedToken(token)) } catch { presented = .failure(error) }
        } else {
            presented = nil
        }
        var tokenUses: [TokenUse] = []
        for grant in grants {
            switch await evaluate(grant, presented, deliver: deliver, now: now) {
            case .success(let use): if let use { tokenUses.append(use) }
            case .failure(let denial):
                guard grants.count > 1 else { return .failure(denial) }
                return .failure(KeyDenial(denial.code, "key \(grant.key.id.uuidString.lowercased()): \(denial.reason)"))
            }
        }
        // After the last suspension: check every count, then record, so concurrent requests cannot both take the last use.
        pruneUses(now: now)
        var counted: [String: TokenUse] = [:]
        for use in tokenUses { counted[use.tokenID] = use }
        for use in counted.values where (uses[use.tokenID]?.count ?? 0) >= use.limit {
            return .failure(Self.exhausted(use))
        }
        for use in counted.values {
            uses[use.tokenID] = ((uses[use.tokenID]?.count ?? 0) + 1, use.expires)
        }
        return .success(grants.map(\.key))
    }

    /// How many times the token with this signature was counted (tests, diagnostics).
    public func recordedUses(tokenSignature: String) -> Int { uses[tokenSignature]?.count ?? 0 }

    // MARK: - Options

    private func evaluate(_ grant: KeyGrant, _ presented: Result<PresentedToken, KeyDenial>?, deliver: KeyConfiguration,
                          now: Date) async -> Result<TokenUse?, KeyDenial> {
        let options = grant.options.filter { $0.configuration == deliver }
        guard !options.isEmpty else {
            let offered = Set(grant.options.map(\.configuration.rawValue)).sorted()
            return .failure(KeyDenial(.noMatchingOption, "policy '\(grant.policyName)' has no option delivering \(deliver.rawValue) "
                                      + (offered.isEmpty ? "(it has no options)" : "(its options deliver \(offered.joined(separator: ", ")))")))
        }
        var denials: [(name: String, denial: KeyDenial)] = []
        for option in options {
            switch option.restriction {
            case .open:
                return .success(nil)
            case .token(let restriction):
                switch await check(restriction, presented, keyID: grant.key.id, now: now) {
                case .success(let use): return .success(use)
                case .failure(let denial): denials.append((option.name, denial))
                }
            }
        }
        let reason = denials.map { "option '\($0.name)': \($0.denial.reason)" }.joined(separator: "; ")
        return .failure(KeyDenial(denials[0].denial.code, reason))
    }

    private func check(_ restriction: TokenRestriction, _ presented: Result<PresentedToken, KeyDenial>?, keyID: UUID,
                       now: Date) async -> Result<TokenUse?, KeyDenial> {
        guard restriction.tokenType == .jwt else {
            return .failure(KeyDenial(.unsupportedTokenType, "the restriction wants SWT tokens, which this box does not verify; "
                                      + "issue JWTs and set restrictionTokenType to Jwt"))
        }
        guard let presented else {
            return .failure(KeyDenial(.missingToken, "no token: send 'Authorization: Bearer <jwt>' or a 'token' query parameter"))
        }
        let token: PresentedToken
        switch presented {
        case .success(let parsed): token = parsed
        case .failure(let denial): return .failure(denial)
        }
        do throws(KeyDenial) {
            try await verifySignature(token, restriction, now: now)
        } catch {
            return .failure(error)
        }
        let claims = TokenClaimsCheck(restriction: restriction, keyID: keyID, now: now, clockSkew: configuration.clockSkew,
                                      maxUsesLifetime: configuration.maxUsesLifetime)
        switch claims.check(token) {
        case .failure(let denial):
            return .failure(denial)
        case .success(let use):
            // Checked here too, so a spent token lets a later option (an open one, say) answer instead.
            if let use, (uses[use.tokenID]?.count ?? 0) >= use.limit {
                return .failure(Self.exhausted(use))
            }
            return .success(use)
        }
    }

    private static func exhausted(_ use: TokenUse) -> KeyDenial {
        KeyDenial(.usesExhausted, "the token was already used \(use.limit) time\(use.limit == 1 ? "" : "s"), as many as its "
                  + "'\(TokenRestriction.maxUsesClaim)' allows")
    }

    private func pruneUses(now: Date) {
        let skew = configuration.clockSkew
        uses = uses.filter { $0.value.expires.addingTimeInterval(skew) > now }
    }

    // MARK: - Signatures

    /// Succeeds when the primary key, an alternate or (failing those) a key of the discovery document verifies the token.
    private func verifySignature(_ token: PresentedToken, _ restriction: TokenRestriction, now: Date) async throws(KeyDenial) {
        var tried: [SignatureVerifier] = []
        var unusable: [String] = []
        for (index, key) in restriction.verificationKeys.enumerated() {
            do throws(KeyDenial) {
                let verifier = try await verifier(for: key, index: index)
                if verifier.verifies(token) { return }
                tried.append(verifier)
            } catch {
                unusable.append(error.reason)
            }
        }
        if let documentURL = restriction.openIDConnectDiscoveryDocument, !documentURL.isEmpty {
            var keys = try await discoveredKeys(documentURL, maxAge: configuration.discoveryCacheLifetime, now: now)
            if let kid = token.keyIdentifier, !keys.has(keyIdentifier: kid) {
                keys = try await discoveredKeys(documentURL, maxAge: configuration.discoveryRefreshInterval, now: now)
            }
            for verifier in keys.candidates(for: token.keyIdentifier) {
                if verifier.verifies(token) { return }
                tried.append(verifier)
            }
        }
        if tried.isEmpty {
            throw KeyDenial(.badSignature, "the restriction has no usable verification key" + (unusable.isEmpty ? "" : ": " + unusable.joined(separator: "; ")))
        }
        if !tried.contains(where: { $0.accepts(algorithm: token.algorithm) }) {
            let accepted = Set(tried.flatMap(\.acceptedAlgorithms)).sorted()
            throw KeyDenial(.unsupportedAlgorithm, "the token is signed with '\(token.algorithm)'; the policy's keys verify "
                            + accepted.joined(separator: ", "))
        }
        throw KeyDenial(.badSignature, "the signature is verified by none of \(tried.map(\.label).joined(separator: ", "))"
                        + (unusable.isEmpty ? "" : " (unusable: \(unusable.joined(separator: "; ")))"))
    }

    private func verifier(for key: TokenVerificationKey, index: Int) async throws(KeyDenial) -> SignatureVerifier {
        if let cached = verifiers[key] { return cached }
        let kind = switch key {
        case .symmetric: "symmetric key"
        case .rsa: "RSA key"
        case .x509: "X.509 certificate key"
        }
        let verifier = try await SignatureVerifier.make(key, label: index == 0 ? "primary \(kind)" : "alternate \(kind) \(index)")
        if verifiers.count >= Self.verifierCacheLimit { verifiers.removeAll() }
        verifiers[key] = verifier
        return verifier
    }

    /// The document's keys, fetched when the cached ones are older than `maxAge`; concurrent requests share a fetch.
    private func discoveredKeys(_ documentURL: String, maxAge: TimeInterval, now: Date) async throws(KeyDenial) -> DiscoveredKeys {
        if let cached = discovered[documentURL], now.timeIntervalSince(cached.fetched) < maxAge, cached.fetched <= now {
            return cached.keys
        }
        let task: Task<DiscoveredKeys, any Error>
        if let running = fetches[documentURL] {
            task = running
        } else {
            let fetcher = self.fetcher, timeout = configuration.discoveryTimeout
            task = Task { try await DiscoveredKeys.fetch(documentURL: documentURL, fetcher: fetcher, timeout: timeout) }
            fetches[documentURL] = task
        }
        let result = await task.result
        // Re-checked after the await: only the request that started this fetch's task finishes it.
        if let running = fetches[documentURL], running == task {
            fetches[documentURL] = nil
            if case .success(let keys) = result {
                discovered[documentURL] = (keys, now)
                logger.info("OpenID Connect discovery keys fetched", metadata: ["document": "\(documentURL)", "keys": "\(keys.keys.count)"])
            }
        }
        switch result {
        case .success(let keys):
            return keys
        case .failure(let error as KeyDenial):
            throw error
        case .failure(let error):
            throw KeyDenial(.discoveryFailed, "the OpenID Connect discovery document \(documentURL) could not be fetched: \(error)")
        }
    }
}
