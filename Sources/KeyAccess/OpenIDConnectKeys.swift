// Verification keys published by an OpenID Connect issuer: the discovery document names a key set (`jwks_uri`), whose
// RSA keys verify the issuer's tokens.
import EventLoop
import Foundation
import HTTP

/// Fetches a document over the network for key delivery (the discovery document and its key set).
public protocol KeyDocumentFetcher: Sendable {
    /// The body of a successful GET of `url`; throws, saying why, for anything else.
    func fetch(_ url: String, timeout: Duration) async throws -> [UInt8]
}

/// Fetches with the project's HTTP client: `http://` URLs only, which suits an issuer on the box's LAN. An `https://`
/// document cannot be fetched, and the denial says so.
public struct HTTPKeyDocumentFetcher: KeyDocumentFetcher {
    let loop: EventLoop

    public init(loop: EventLoop) {
        self.loop = loop
    }

    public func fetch(_ url: String, timeout: Duration) async throws -> [UInt8] {
        let response = try await HTTPClient.request(loop: loop, url: url, headers: [("Accept", "application/json")], timeout: timeout)
        guard response.status == 200 else {
            throw KeyDocumentError(description: "\(url) answered \(response.status) \(HTTPStatus.reasonPhrase(response.status))")
        }
        return response.body
    }
}

struct KeyDocumentError: Error, CustomStringConvertible {
    var description: String
}

/// The keys one discovery document leads to.
struct DiscoveredKeys: Sendable {
    /// Each key with its `kid`.
    var keys: [(id: String?, verifier: SignatureVerifier)]

    /// The keys a token should be tried with: the one its header names when the set has it, otherwise all.
    func candidates(for keyIdentifier: String?) -> [SignatureVerifier] {
        if let keyIdentifier {
            let named = keys.filter { $0.id == keyIdentifier }.map(\.verifier)
            if !named.isEmpty { return named }
        }
        return keys.map(\.verifier)
    }

    func has(keyIdentifier: String) -> Bool { keys.contains { $0.id == keyIdentifier } }

    /// Fetches the discovery document at `documentURL`, then its key set; every failure is a `discoveryFailed` denial
    /// naming the document.
    static func fetch(documentURL: String, fetcher: any KeyDocumentFetcher, timeout: Duration) async throws(KeyDenial) -> DiscoveredKeys {
        let documentBytes: [UInt8]
        do {
            documentBytes = try await fetcher.fetch(documentURL, timeout: timeout)
        } catch {
            throw KeyDenial(.discoveryFailed, "the OpenID Connect discovery document \(documentURL) could not be fetched: \(error)")
        }
        guard let document = try? JSONDecoder().decode(DiscoveryDocument.self, from: Data(documentBytes)) else {
            throw KeyDenial(.discoveryFailed, "the OpenID Connect discovery document \(documentURL) could not be read: it is not a JSON object")
        }
        guard let keySetURL = document.jwks_uri, !keySetURL.isEmpty else {
            throw KeyDenial(.discoveryFailed, "the OpenID Connect discovery document \(documentURL) names no key set ('jwks_uri')")
        }
        let keySetBytes: [UInt8]
        do {
            keySetBytes = try await fetcher.fetch(keySetURL, timeout: timeout)
        } catch {
            throw KeyDenial(.discoveryFailed, "the key set \(keySetURL) of the OpenID Connect discovery document \(documentURL) could not be fetched: \(error)")
        }
        guard let keySet = try? JSONDecoder().decode(KeySet.self, from: Data(keySetBytes)) else {
            throw KeyDenial(.discoveryFailed, "the key set \(keySetURL) of the OpenID Connect discovery document \(documentURL) is not a JWK set")
        }
        var keys: [(id: String?, verifier: SignatureVerifier)] = []
        for key in keySet.keys where key.kty == "RSA" && key.use != "enc" {
            guard let modulus = key.n, let exponent = key.e else { continue }
            let label = "key '\(key.kid ?? "(no kid)")' of \(keySetURL)"
            // A key jwt-kit cannot read is left out; the others still verify.
            if let verifier = try? await SignatureVerifier.make(jwkModulus: modulus, exponent: exponent, label: label) {
                keys.append((key.kid, verifier))
            }
        }
        guard !keys.isEmpty else {
            throw KeyDenial(.discoveryFailed, "the key set \(keySetURL) of the OpenID Connect discovery document \(documentURL) has no usable RSA signing key")
        }
        return DiscoveredKeys(keys: keys)
    }

    private struct DiscoveryDocument: Decodable {
        var jwks_uri: String?
    }

    private struct KeySet: Decodable {
        var keys: [Key]
    }

    private struct Key: Decodable {
        var kty: String?
        var kid: String?
        var use: String?
        var n: String?
        var e: String?
    }
}
