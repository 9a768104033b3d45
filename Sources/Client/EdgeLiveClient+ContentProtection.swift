// `edgelive key-policy ...`, `edgelive token issue`, `edgelive locator keys` and `locator create --cpix`: content key
// policies, test tokens for them, and a locator's content keys (as a table or a CPIX document).
import AMSModels
import Foundation
import HTTP
import Protection

extension EdgeLiveClient {
    // MARK: - Content key policies

    /// `key-policy create NAME ...` (synchronous PUT: 201 created, 200 replaced). A generated symmetric key is printed
    /// here, the one time the create answers it (reads mask it; `key-policy show --secrets` reads it back).
    public func createKeyPolicy(_ options: ContentKeyPolicyCreateOptions) async throws(ClientError) -> CommandOutput {
        let (body, generatedKey) = try options.makeBody()
        let subject = Self.keyPolicySubject(options.name)
        let response = try await arm.send("PUT", Self.keyPolicyPath(options.name), apiVersion: ClientAPIVersion.metadata,
                                          body: try ARMClient.encode(body), subject: subject)
        var notes = response.status == 200 ? "replaced \(subject.description)\n" : ""
        if generatedKey != nil {
            notes += "configure your token issuer with the generated key; `edgelive key-policy show \(options.name) --secrets` shows it again\n"
        }
        if json {
            // The JSON stays parseable; the key (which the masked answer does not carry) goes to standard error.
            if let generatedKey { notes = "generated symmetric key (base64): \(generatedKey)\n" + notes }
            return CommandOutput(response.text.hasSuffix("\n") ? response.text : response.text + "\n", standardError: notes)
        }
        let policy = try ARMClient.decode(ContentKeyPolicy.self, from: response, subject: subject)
        var text = ResourceText.keyPolicyDetails(policy)
        if let generatedKey { text += "Generated key (base64, HMAC-SHA256): \(generatedKey)\n" }
        return CommandOutput(text, standardError: notes + "use it with `edgelive locator create NAME --asset A --policy Predefined_ClearKey --key-policy \(options.name)`\n")
    }

    /// `key-policy list`.
    public func listKeyPolicies() async throws(ClientError) -> CommandOutput {
        let (list, response) = try await arm.get(ARMList<ContentKeyPolicy>.self, "/contentKeyPolicies", apiVersion: ClientAPIVersion.metadata,
                                                 subject: RequestSubject("the content key policies"))
        if json { return CommandOutput(response.text.hasSuffix("\n") ? response.text : response.text + "\n") }
        return CommandOutput(ResourceText.keyPolicyTable(list.value))
    }

    /// `key-policy show NAME [--secrets]`: secrets (symmetric token keys) only with `--secrets`, through
    /// `getPolicyPropertiesWithSecrets`.
    public func showKeyPolicy(_ name: String, secrets: Bool) async throws(ClientError) -> CommandOutput {
        let subject = Self.keyPolicySubject(name)
        var (policy, response) = try await arm.get(ContentKeyPolicy.self, Self.keyPolicyPath(name), apiVersion: ClientAPIVersion.metadata, subject: subject)
        guard secrets else {
            return json ? CommandOutput(response.text.hasSuffix("\n") ? response.text : response.text + "\n") : CommandOutput(ResourceText.keyPolicyDetails(policy))
        }
        let secretsResponse = try await arm.send("POST", Self.keyPolicyPath(name) + "/getPolicyPropertiesWithSecrets", apiVersion: ClientAPIVersion.metadata,
                                                 body: [], subject: subject)
        if json { return CommandOutput(secretsResponse.text.hasSuffix("\n") ? secretsResponse.text : secretsResponse.text + "\n") }
        policy.properties = try ARMClient.decode(ContentKeyPolicyProperties.self, from: secretsResponse, subject: subject)
        return CommandOutput(ResourceText.keyPolicyDetails(policy, secrets: true))
    }

    /// `key-policy delete NAME` (synchronous: 200, or 204 when it did not exist; 400/409 while a locator uses it).
    public func deleteKeyPolicy(_ name: String) async throws(ClientError) -> CommandOutput {
        let subject = Self.keyPolicySubject(name)
        let response = try await arm.send("DELETE", Self.keyPolicyPath(name), apiVersion: ClientAPIVersion.metadata, subject: subject)
        let text = response.status == 204 ? "\(subject.description) did not exist; nothing to delete" : "deleted \(subject.description)"
        return json ? CommandOutput(standardError: text + "\n") : CommandOutput(text + "\n")
    }

    // MARK: - Test tokens

    /// `token issue --policy NAME ...`: a JWT signed with the policy's symmetric key (read with its secrets). The token
    /// alone goes to standard output, so `$(edgelive token issue …)` works; `--json` gives it with its expiry and claims.
    public func issueToken(_ options: TokenIssueOptions, now: Date = Date()) async throws(ClientError) -> CommandOutput {
        _ = try TestTokenIssuer.parseLifetime(options.validFor)  // a usage error before any request
        let subject = Self.keyPolicySubject(options.policy)
        let response = try await arm.send("POST", Self.keyPolicyPath(options.policy) + "/getPolicyPropertiesWithSecrets",
                                          apiVersion: ClientAPIVersion.metadata, body: [], subject: subject)
        let properties = try ARMClient.decode(ContentKeyPolicyProperties.self, from: response, subject: subject)
        let issued = try TestTokenIssuer.issue(policyName: options.policy, properties: properties, options: options, now: now)
        let expires = ResourceText.timestamp(issued.expires)
        if json {
            return CommandOutput(#"{"token":"\#(issued.token)","expires":"\#(expires)","claims":\#(issued.claimsJSON)}"# + "\n")
        }
        return CommandOutput(issued.token + "\n",
                             standardError: "token for content key policy '\(options.policy)', valid until \(expires); send it as `Authorization: Bearer <token>`\n")
    }

    // MARK: - Locator keys

    /// `locator keys NAME`: POST listContentKeys as a table (id, type, label, policy, value).
    public func locatorKeys(_ name: String) async throws(ClientError) -> CommandOutput {
        let (keys, response) = try await listContentKeys(name)
        if json { return CommandOutput(response.text.hasSuffix("\n") ? response.text : response.text + "\n") }
        guard !keys.isEmpty else {
            return CommandOutput("Streaming locator '\(name)' has no content keys: its streaming policy does not encrypt.\n")
        }
        return CommandOutput(TextTable(columns: ["ID", "TYPE", "LABEL", "POLICY", "VALUE"], rows: keys.map { key in
            [key.id, key.type?.rawValue ?? "-", key.labelReferenceInStreamingPolicy ?? "-", key.policyName ?? "-", key.value ?? "-"]
        }).render())
    }

    /// `locator keys NAME --cpix FILE|-`: the keys as a CPIX 2.3 document, written to FILE (mode 0600: it holds the keys
    /// in the clear) or to standard output for `-`.
    public func locatorKeysCPIX(_ name: String, destination: String) async throws(ClientError) -> CommandOutput {
        let (keys, _) = try await listContentKeys(name)
        guard !keys.isEmpty else {
            throw ClientError(.failure, message: "streaming locator '\(name)' has no content keys (its streaming policy does not encrypt); no CPIX document was written")
        }
        let locator = try? await arm.get(StreamingLocator.self, Self.locatorPath(name), apiVersion: ClientAPIVersion.metadata,
                                         subject: Self.locatorSubject(name)).value
        let document = try CPIXDocument(contentID: locator?.properties?.streamingLocatorId ?? name, locatorKeys: keys)
        let xml = document.xml()
        if destination == "-" { return CommandOutput(xml) }
        try Self.writePrivateFile(xml, to: destination)
        return CommandOutput(standardError: "wrote \(keys.count) content key\(keys.count == 1 ? "" : "s") of streaming locator '\(name)' to \(destination) "
                             + "(CPIX 2.3, keys in the clear: keep it private)\n")
    }

    /// `locator create NAME ... --cpix FILE|-`: the document's keys become the locator's `contentKeys`, typed and
    /// labelled as the streaming policy (read first) names its keys.
    public func createLocator(_ options: LocatorCreateOptions, cpixText: String, source: String) async throws(ClientError) -> CommandOutput {
        let document = try CPIXDocument.parse(cpixText, source: source)
        let policySubject = RequestSubject("streaming policy '\(options.policy)'")
        let (policy, _) = try await arm.get(StreamingPolicy.self, "/streamingPolicies/\(ARMClient.escape(options.policy))",
                                            apiVersion: ClientAPIVersion.metadata, subject: policySubject)
        let slots = StreamingPolicyKeySlot.slots(of: policy.properties ?? StreamingPolicyProperties())
        var withKeys = options
        withKeys.contentKeys = try document.locatorContentKeys(slots: slots, policyName: options.policy)
        var output = try await createLocator(withKeys)
        let missing = slots.count - document.keys.count
        if missing > 0 {
            output.standardError += "note: the CPIX document has \(document.keys.count) of the policy's \(slots.count) keys; the daemon generated the rest\n"
        }
        return output
    }

    private func listContentKeys(_ name: String) async throws(ClientError) -> ([StreamingLocatorContentKey], HTTPClientResponse) {
        let subject = Self.locatorSubject(name)
        let response = try await arm.send("POST", Self.locatorPath(name) + "/listContentKeys", apiVersion: ClientAPIVersion.metadata,
                                          body: [], subject: subject)
        return (try ARMClient.decode(ListContentKeysResponse.self, from: response, subject: subject).contentKeys ?? [], response)
    }

    /// Writes `text` to `path` readable by its owner only, replacing what was there.
    static func writePrivateFile(_ text: String, to path: String) throws(ClientError) {
        let created = FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600])
        do {
            guard created else { throw CocoaError(.fileWriteNoPermission) }
            // createFile keeps an existing file's mode; make sure the keys are not left world-readable.
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            defer { try? handle.close() }
            try handle.truncate(atOffset: 0)
            try handle.write(contentsOf: Data(text.utf8))
        } catch {
            throw ClientError(.failure, message: "cannot write the CPIX document to '\(path)': \(error.localizedDescription)",
                              hint: "pick a writable path, or pass --cpix - to print it")
        }
    }

    // MARK: - Paths and subjects

    static func keyPolicyPath(_ name: String) -> String { "/contentKeyPolicies/\(ARMClient.escape(name))" }

    static func keyPolicySubject(_ name: String) -> RequestSubject {
        RequestSubject("content key policy '\(name)'", showCommand: "edgelive key-policy show \(name)", listCommand: "edgelive key-policy list")
    }
}

extension ResourceText {
    /// `NAME RESTRICTION ISSUER AUDIENCE KEY DESCRIPTION` (the first option's restriction).
    public static func keyPolicyTable(_ policies: [ContentKeyPolicy]) -> String {
        guard !policies.isEmpty else {
            return "No content key policies. Create one with `edgelive key-policy create NAME --open` or `--token-restricted ...`.\n"
        }
        return TextTable(columns: ["NAME", "RESTRICTION", "ISSUER", "AUDIENCE", "KEY", "DESCRIPTION"], rows: policies.map { policy in
            let option = policy.properties?.options?.first
            var row = [policy.name ?? "-", restrictionText(option?.restriction), "-", "-", "-", policy.properties?.description ?? "-"]
            if case .token(let token)? = option?.restriction {
                row[2] = token.issuer ?? "-"
                row[3] = token.audience ?? "-"
                row[4] = token.primaryVerificationKey.map { keyKind($0) } ?? (token.openIdConnectDiscoveryDocument != nil ? "discovery" : "-")
            }
            return row
        }).render()
    }

    /// The properties of one policy, each option with its configuration and restriction. Symmetric keys show as
    /// hidden unless `secrets` (the properties came from `getPolicyPropertiesWithSecrets`).
    public static func keyPolicyDetails(_ policy: ContentKeyPolicy, secrets: Bool = false) -> String {
        let properties = policy.properties
        var block = KeyValueBlock()
        block.add("Name", policy.name)
        block.add("Policy id", properties?.policyId)
        block.add("Description", properties?.description)
        for (index, option) in (properties?.options ?? []).enumerated() {
            let prefix = (properties?.options?.count ?? 0) > 1 ? "Option \(index + 1) " : ""
            block.add(prefix.isEmpty ? "Option" : prefix.trimmingCharacters(in: .whitespaces), option.name ?? "-")
            block.add(prefix + "delivers", configurationText(option.configuration))
            block.add(prefix + "restriction", restrictionText(option.restriction))
            guard case .token(let token)? = option.restriction else { continue }
            block.add(prefix + "issuer", token.issuer)
            block.add(prefix + "audience", token.audience)
            block.add(prefix + "token type", token.restrictionTokenType?.rawValue)
            block.add(prefix + "key", token.primaryVerificationKey.map { keyText($0, secrets: secrets) })
            block.add(prefix + "alternate keys", list: (token.alternateVerificationKeys ?? []).map { keyText($0, secrets: secrets) })
            block.add(prefix + "discovery", token.openIdConnectDiscoveryDocument)
            block.add(prefix + "required claims", list: (token.requiredClaims ?? []).map { claim in
                let type = claim.claimType ?? "?"
                if let value = claim.claimValue { return "\(type)=\(value)" }
                return type + (type == TokenRestriction.contentKeyIdentifierClaim ? " (the requested key id)" : " (any value)")
            })
        }
        block.add("Created", properties?.created.map(timestamp))
        block.add("Modified", properties?.lastModified.map(timestamp))
        return block.render()
    }

    static func restrictionText(_ restriction: ContentKeyPolicyRestriction?) -> String {
        switch restriction {
        case .open?: "open"
        case .token(let token)?: "token (\(token.restrictionTokenType?.rawValue ?? "Jwt"))"
        case .unknown?: "unknown"
        case nil: "-"
        }
    }

    static func configurationText(_ configuration: ContentKeyPolicyConfiguration?) -> String {
        switch configuration {
        case .clearKey?: "ClearKey (AES-128 keys, W3C Clear Key licences)"
        case .widevine?: "Widevine licence (third-party licence server)"
        case .playReady?: "PlayReady licence (third-party licence server)"
        case .fairPlay?: "FairPlay (third-party key server)"
        case .unknown?: "unknown"
        case nil: "-"
        }
    }

    static func keyKind(_ key: ContentKeyPolicyRestrictionTokenKey) -> String {
        switch key {
        case .symmetric: "symmetric"
        case .rsa: "rsa"
        case .x509Certificate: "x509"
        }
    }

    static func keyText(_ key: ContentKeyPolicyRestrictionTokenKey, secrets: Bool) -> String {
        switch key {
        case .symmetric(let value):
            if secrets, let value, !value.isEmpty { return "symmetric \(value)" }
            return "symmetric (hidden; `--secrets` shows it)"
        case let .rsa(exponent, modulus):
            let bits = modulus.flatMap { Data(base64Encoded: $0) }.map { "\(Self.significantBits($0)) bit" } ?? "?"
            return "rsa \(bits), exponent \(exponent ?? "?")"
        case .x509Certificate(let body):
            let size = body.flatMap { Data(base64Encoded: $0) }.map { "\($0.count) bytes" } ?? "?"
            return "x509 certificate (\(size) DER)"
        }
    }

    /// The bit length of a big-endian number (a modulus may carry a leading zero byte).
    static func significantBits(_ data: Data) -> Int {
        guard let first = data.firstIndex(where: { $0 != 0 }) else { return 0 }
        return (data.endIndex - first) * 8 - data[first].leadingZeroBitCount
    }
}
