// `edgelive key-policy ...`: content key policies (who gets a locator's keys from key delivery), and
// `edgelive token issue`: a test JWT such a policy accepts.
import ArgumentParser
import Client

struct KeyPolicyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "key-policy",
        abstract: "Content key policies: create, list, show and delete who may have an encrypted locator's keys.",
        discussion: """
            A policy is open (anyone gets the key) or wants a JWT from your token issuer: its iss and aud, signed with the \
            policy's key (HS256 with a symmetric key, RS256 with an RSA key or X.509 certificate), with the required claims. \
            Example: edgelive key-policy create tokens --token-restricted --issuer https://sts.example --audience edgelive --generate-key --bind-key-id
            """,
        subcommands: [Create.self, List.self, Show.self, Delete.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create or replace a content key policy (ClearKey delivery, open or token-restricted).")
        @Argument(help: "Policy name.") var name: String
        @Flag(help: "Anyone may have the keys (no token).") var open = false
        // `--token` is every client verb's API bearer token, so the restriction flag has a longer name; --issuer implies it.
        @Flag(help: "Key delivery wants a JWT: give --issuer, --audience and a verification key (implied by --issuer).") var tokenRestricted = false
        @Option(help: "Token: the issuer (iss) tokens must carry.") var issuer: String?
        @Option(help: "Token: the audience (aud) tokens must carry.") var audience: String?
        @Option(help: "Token: the HMAC key tokens are signed with (HS256), base64.") var symmetricKey: String?
        @Flag(help: "Token: generate a random 256-bit HMAC key and print it once, for your token issuer.") var generateKey = false
        @Option(help: "Token: the RSA public key's modulus (RS256), big-endian, base64; with --rsa-exponent.") var rsaModulus: String?
        @Option(help: "Token: the RSA public key's exponent, big-endian, base64 (AQAB for 65537).") var rsaExponent: String?
        @Option(help: "Token: the token signer's X.509 certificate file (PEM or DER; RS256).") var x509: String?
        @Option(name: .customLong("alternate-key"), help: "Token: another key tokens may be signed with: symmetric:BASE64, rsa:MODULUS:EXPONENT or x509:FILE; repeatable.")
        var alternateKeys: [String] = []
        @Option(name: .customLong("claim"), help: "Token: a required claim, TYPE (any value) or TYPE=VALUE; repeatable.")
        var claims: [String] = []
        @Flag(help: "Token: require the content key identifier claim to name the key asked for.") var bindKeyId = false
        @Flag(help: "Deliver ClearKey: AES-128 keys and W3C Clear Key licences (the default, and the only delivery the box performs).")
        var clearkey = false
        @Option(help: "Free text.") var description: String?
        @OptionGroup var client: ClientCommandOptions

        /// A token restriction was asked for, by name or by its options.
        var token: Bool {
            tokenRestricted || issuer != nil || audience != nil || symmetricKey != nil || generateKey || rsaModulus != nil || rsaExponent != nil
                || x509 != nil || !alternateKeys.isEmpty || !claims.isEmpty || bindKeyId
        }

        func validate() throws {
            if open, token { throw ValidationError("--open gives the keys to anyone; drop the token options (--token-restricted, --issuer, --audience, keys, --claim, --bind-key-id)") }
            guard open || token else { throw ValidationError("say who gets the keys: --open, or --token-restricted with --issuer, --audience and a key") }
            if token {
                let sources = [symmetricKey != nil, generateKey, rsaModulus != nil || rsaExponent != nil, x509 != nil].filter { $0 }.count
                guard sources == 1 else {
                    throw ValidationError("a token-restricted policy needs exactly one verification key: --symmetric-key, --generate-key, --rsa-modulus with --rsa-exponent, or --x509")
                }
                if (rsaModulus == nil) != (rsaExponent == nil) { throw ValidationError("--rsa-modulus and --rsa-exponent go together") }
            }
        }

        func run() async throws {
            let primary: TokenKeySource?
            if let symmetricKey { primary = .symmetric(base64: symmetricKey) }
            else if generateKey { primary = .generatedSymmetric }
            else if let rsaModulus, let rsaExponent { primary = .rsa(modulus: rsaModulus, exponent: rsaExponent) }
            else if let x509 { primary = .x509(path: x509) }
            else { primary = nil }
            let (name, open, issuer, audience, alternateKeys, claims, bindKeyId, description) =
                (name, open, issuer, audience, alternateKeys, claims, bindKeyId, description)
            try await client.run { verbs throws(ClientError) in
                let alternates = try alternateKeys.map { text throws(ClientError) in try TokenKeySource.parseAlternate(text) }
                let options = ContentKeyPolicyCreateOptions(name: name, open: open, issuer: issuer, audience: audience, primaryKey: primary,
                                                            alternateKeys: alternates, claims: claims, bindKeyID: bindKeyId, description: description)
                return try await verbs.createKeyPolicy(options)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the content key policies.")
        @OptionGroup var client: ClientCommandOptions

        func run() async throws {
            try await client.run { verbs throws(ClientError) in try await verbs.listKeyPolicies() }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one content key policy; symmetric keys only with --secrets.")
        @Argument(help: "Policy name.") var name: String
        @Flag(help: "Show the symmetric token keys too (getPolicyPropertiesWithSecrets).") var secrets = false
        @OptionGroup var client: ClientCommandOptions

        func run() async throws {
            let (name, secrets) = (name, secrets)
            try await client.run { verbs throws(ClientError) in try await verbs.showKeyPolicy(name, secrets: secrets) }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a content key policy (refused while a locator uses it).")
        @Argument(help: "Policy name.") var name: String
        @OptionGroup var client: ClientCommandOptions

        func run() async throws {
            let name = name
            try await client.run { verbs throws(ClientError) in try await verbs.deleteKeyPolicy(name) }
        }
    }
}

struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Test tokens for token-restricted content key policies.",
        subcommands: [Issue.self])

    struct Issue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a JWT (HS256) a content key policy accepts: iss, aud, nbf (now - 5 min), exp and its required claims.",
            discussion: "Signs with the policy's symmetric key (read with its secrets); policies with only RSA or X.509 keys need your own token issuer. "
                + "Example: curl -H \"Authorization: Bearer $(edgelive token issue --policy tokens --key-id KID)\" 'http://box:8080/keydelivery/?kid=KID'")
        @Option(help: "The content key policy the token is for.") var policy: String
        @Option(help: "The content key id (the contentkeyidentifier claim); see `edgelive locator keys`.") var keyId: String?
        @Option(help: "Lifetime from now: 90s, 30m, 1h, 2d or PT1H.") var validFor = "1h"
        @Option(name: .customLong("claim"), help: "A claim to carry, TYPE=VALUE; repeatable.") var claims: [String] = []
        @OptionGroup var client: ClientCommandOptions

        func run() async throws {
            let options = TokenIssueOptions(policy: policy, keyID: keyId, validFor: validFor, claims: claims)
            try await client.run { verbs throws(ClientError) in try await verbs.issueToken(options) }
        }
    }
}
