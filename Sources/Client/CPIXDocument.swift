// DASH-IF CPIX 2.3 documents of a locator's content keys: written for key exchange with a DRM provider, read back to
// create a locator with the same keys. Plain keys only: an encrypted document (DeliveryDataList) is refused.
import AMSModels
import Foundation
import Media
import Protection

/// The keys of a CPIX document as edgelive writes and reads them.
public struct CPIXDocument: Sendable, Equatable {
    /// One `ContentKey`.
    public struct Key: Sendable, Equatable {
        /// `@kid`.
        public var id: UUID
        /// `Data/pskc:Secret/pskc:PlainValue`, the 16 key bytes.
        public var value: [UInt8]
        /// `@commonEncryptionScheme` (`cenc`, `cbcs`); nil for a key not used with common encryption (AES-128 envelope).
        public var commonEncryptionScheme: String?
        /// `ContentKeyUsageRule@intendedTrackType` naming this key: the label the streaming policy gives it.
        public var label: String?

        /// Creates a key.
        public init(id: UUID, value: [UInt8], commonEncryptionScheme: String? = nil, label: String? = nil) {
            self.id = id
            self.value = value
            self.commonEncryptionScheme = commonEncryptionScheme
            self.label = label
        }
    }

    /// `@contentId`.
    public var contentID: String?
    /// The content keys, in document order.
    public var keys: [Key]

    /// Creates a document.
    public init(contentID: String? = nil, keys: [Key]) {
        self.contentID = contentID
        self.keys = keys
    }

    static let cpixNamespace = "urn:dashif:org:cpix"
    static let pskcNamespace = "urn:ietf:params:xml:ns:keyprov:pskc"

    /// The DRM systems a common-encryption key is signalled for, with the system id its `pssh` carries.
    static let signalledSystems: [(system: DRMSystem, systemID: UUID)] = [
        (.widevine, DRMSystem.widevine.systemID), (.playReady, DRMSystem.playReady.systemID), (.clearKey, DRMSystem.commonSystemID),
    ]

    // MARK: - From a locator

    /// The document of `listContentKeys`' answer: each key with its scheme (from its type) and label. Keys without a
    /// value or with a malformed id or value are refused: a document with holes would be worse than none.
    public init(contentID: String?, locatorKeys: [StreamingLocatorContentKey]) throws(ClientError) {
        var keys: [Key] = []
        for key in locatorKeys {
            guard let id = UUID(uuidString: key.id), let text = key.value, let value = Data(base64Encoded: text), value.count == 16 else {
                throw ClientError(.failure, message: "the daemon answered content key '\(key.id)' without a 16-byte value; no CPIX document was written")
            }
            let scheme: String? = switch key.type {
            case .commonEncryptionCenc?: "cenc"
            case .commonEncryptionCbcs?: "cbcs"
            case .envelopeEncryption?, nil: nil
            }
            keys.append(Key(id: id, value: Array(value), commonEncryptionScheme: scheme, label: key.labelReferenceInStreamingPolicy))
        }
        self.init(contentID: contentID, keys: keys)
    }

    // MARK: - Writing

    /// The XML text: `ContentKeyList`, a `DRMSystemList` with a `pssh` per common-encryption key and DRM system
    /// (Widevine, PlayReady, W3C common; AES-128 envelope keys have no `pssh`, so none), and a
    /// `ContentKeyUsageRuleList` naming each key's label as its `intendedTrackType`.
    public func xml() -> String {
        var out = #"<?xml version="1.0" encoding="UTF-8"?>"# + "\n"
        out += #"<cpix:CPIX xmlns:cpix="\#(Self.cpixNamespace)" xmlns:pskc="\#(Self.pskcNamespace)" version="2.3""#
        if let contentID { out += #" contentId="\#(Self.escape(contentID))""# }
        out += ">\n  <cpix:ContentKeyList>\n"
        for key in keys {
            out += #"    <cpix:ContentKey kid="\#(key.id.uuidString.lowercased())""#
            if let scheme = key.commonEncryptionScheme { out += #" commonEncryptionScheme="\#(Self.escape(scheme))""# }
            out += ">\n      <cpix:Data>\n        <pskc:Secret>\n"
            out += "          <pskc:PlainValue>\(Data(key.value).base64EncodedString())</pskc:PlainValue>\n"
            out += "        </pskc:Secret>\n      </cpix:Data>\n    </cpix:ContentKey>\n"
        }
        out += "  </cpix:ContentKeyList>\n"
        let signalled = keys.compactMap { key -> (Key, ProtectionScheme)? in
            switch key.commonEncryptionScheme {
            case "cenc": (key, .cenc)
            case "cbcs": (key, .cbcs)
            default: nil
            }
        }
        if !signalled.isEmpty {
            out += "  <cpix:DRMSystemList>\n"
            for (key, scheme) in signalled {
                let contentKey = ContentKey(id: key.id, value: key.value, label: key.label)
                for (system, systemID) in Self.signalledSystems {
                    guard let box = PSSH.box(for: system, key: contentKey, scheme: scheme) else { continue }
                    out += #"    <cpix:DRMSystem kid="\#(key.id.uuidString.lowercased())" systemId="\#(systemID.uuidString.lowercased())">"# + "\n"
                    out += "      <cpix:PSSH>\(Data(box).base64EncodedString())</cpix:PSSH>\n    </cpix:DRMSystem>\n"
                }
            }
            out += "  </cpix:DRMSystemList>\n"
        }
        let labelled = keys.filter { $0.label?.isEmpty == false }
        if !labelled.isEmpty {
            out += "  <cpix:ContentKeyUsageRuleList>\n"
            for key in labelled {
                out += #"    <cpix:ContentKeyUsageRule kid="\#(key.id.uuidString.lowercased())" intendedTrackType="\#(Self.escape(key.label ?? ""))"/>"# + "\n"
            }
            out += "  </cpix:ContentKeyUsageRuleList>\n"
        }
        out += "</cpix:CPIX>\n"
        return out
    }

    static func escape(_ text: String) -> String { XMLText.escaped(text) }

    // MARK: - Reading

    /// Reads the content keys of a CPIX document (any CPIX version from 2.0, any namespace prefixes). `source` names
    /// the file in messages.
    public static func parse(_ text: String, source: String) throws(ClientError) -> CPIXDocument {
        let root: XMLLiteElement
        do {
            root = try XMLLiteReader.parse(text)
        } catch {
            throw .usage("\(source) is not a readable XML document: \(error.reason)", hint: "give the CPIX document your DRM provider or `edgelive locator keys --cpix` wrote")
        }
        guard root.namespace == cpixNamespace, root.localName == "CPIX" else {
            throw .usage("\(source) is not a CPIX document: its root is <\(root.name)>, not <CPIX> in \(cpixNamespace)")
        }
        if root.children.contains(where: { $0.namespace == cpixNamespace && $0.localName == "DeliveryDataList" }) {
            throw .usage("\(source) holds encrypted content keys (a DeliveryDataList); edgelive reads plain-value CPIX documents only",
                         hint: "ask the key provider for the document without a recipient (unencrypted keys) and keep it safe: it holds the keys")
        }
        var labels: [UUID: String] = [:]
        for list in root.children(cpixNamespace, "ContentKeyUsageRuleList") {
            for rule in list.children(cpixNamespace, "ContentKeyUsageRule") {
                if let kid = rule.attributes["kid"].flatMap(UUID.init(uuidString:)), let label = rule.attributes["intendedTrackType"], !label.isEmpty {
                    labels[kid] = labels[kid] ?? label
                }
            }
        }
        var keys: [Key] = []
        for list in root.children(cpixNamespace, "ContentKeyList") {
            for element in list.children(cpixNamespace, "ContentKey") {
                let kidText = element.attributes["kid"] ?? ""
                guard let kid = UUID(uuidString: kidText) else {
                    throw .usage("\(source): a ContentKey's kid '\(kidText)' is not a UUID")
                }
                guard !keys.contains(where: { $0.id == kid }) else { throw .usage("\(source): the key \(kidText.lowercased()) is listed twice") }
                let secret = element.children(cpixNamespace, "Data").flatMap { $0.children(pskcNamespace, "Secret") }.first
                if secret?.children(pskcNamespace, "EncryptedValue").isEmpty == false {
                    throw .usage("\(source): the key \(kidText.lowercased()) is encrypted (pskc:EncryptedValue); edgelive reads plain-value CPIX documents only",
                                 hint: "ask the key provider for the document without a recipient (unencrypted keys)")
                }
                guard let plain = secret?.children(pskcNamespace, "PlainValue").first else {
                    throw .usage("\(source): the key \(kidText.lowercased()) has no value (Data/pskc:Secret/pskc:PlainValue)",
                                 hint: "a locator needs the key values, not only their ids")
                }
                let valueText = plain.text.filter { !$0.isWhitespace }
                guard let value = Data(base64Encoded: valueText), value.count == 16 else {
                    throw .usage("\(source): the value of key \(kidText.lowercased()) is not 16 bytes in base64")
                }
                let scheme = element.attributes["commonEncryptionScheme"]
                if let scheme, scheme != "cenc", scheme != "cbcs" {
                    throw .usage("\(source): the key \(kidText.lowercased()) is for the '\(scheme)' scheme; the box encrypts with cenc and cbcs only")
                }
                keys.append(Key(id: kid, value: Array(value), commonEncryptionScheme: scheme, label: labels[kid]))
            }
        }
        guard !keys.isEmpty else { throw .usage("\(source) lists no content keys (cpix:ContentKeyList/cpix:ContentKey)") }
        return CPIXDocument(contentID: root.attributes["contentId"], keys: keys)
    }
}

// MARK: - Keys for a locator

/// One content key a streaming policy asks of its locators: the key type (the scheme) and the label.
public struct StreamingPolicyKeySlot: Sendable, Equatable {
    /// The scheme, as the key's type.
    public var type: StreamingLocatorContentKeyType
    /// The label locators name the key by.
    public var label: String

    /// The slots of `policy`: per encrypting scheme, its default key and its key-to-track keys, with the service's
    /// default labels (`aesDefaultKey`, `cencDefaultKey`, `cbcsDefaultKey`) where the policy names none.
    public static func slots(of policy: StreamingPolicyProperties) -> [StreamingPolicyKeySlot] {
        var slots: [StreamingPolicyKeySlot] = []
        func add(_ type: StreamingLocatorContentKeyType, _ keys: StreamingPolicyContentKeys?, defaultLabel: String) {
            slots.append(StreamingPolicyKeySlot(type: type, label: keys?.defaultKey?.label ?? defaultLabel))
            for mapping in keys?.keyToTrackMappings ?? [] { slots.append(StreamingPolicyKeySlot(type: type, label: mapping.label ?? "")) }
        }
        if let envelope = policy.envelopeEncryption { add(.envelopeEncryption, envelope.contentKeys, defaultLabel: "aesDefaultKey") }
        if let cenc = policy.commonEncryptionCenc { add(.commonEncryptionCenc, cenc.contentKeys, defaultLabel: "cencDefaultKey") }
        if let cbcs = policy.commonEncryptionCbcs { add(.commonEncryptionCbcs, cbcs.contentKeys, defaultLabel: "cbcsDefaultKey") }
        return slots
    }
}

extension CPIXDocument {
    /// The document's keys as a locator's `contentKeys` under a streaming policy with `slots`: a key's
    /// `commonEncryptionScheme` picks the key type (`cenc` → CommonEncryptionCenc, `cbcs` → CommonEncryptionCbcs; none →
    /// any type of the policy), its usage rule's `intendedTrackType` the label when the policy has one by that name, and
    /// otherwise the keys fill the policy's remaining keys of their type in order. Keys the policy has no place for are
    /// refused; keys the document lacks are generated by the daemon.
    public func locatorContentKeys(slots: [StreamingPolicyKeySlot], policyName: String) throws(ClientError) -> [StreamingLocatorContentKey] {
        guard !slots.isEmpty else {
            throw .usage("streaming policy '\(policyName)' does not encrypt, so a locator with it takes no content keys",
                         hint: "pick an encrypting policy, e.g. --policy Predefined_ClearKey or Predefined_MultiDrmCencStreaming")
        }
        var free = slots.map { Optional($0) }
        var result: [StreamingLocatorContentKey] = []
        for key in keys {
            let type: StreamingLocatorContentKeyType? = switch key.commonEncryptionScheme {
            case "cenc": .commonEncryptionCenc
            case "cbcs": .commonEncryptionCbcs
            default: nil
            }
            let fits = free.indices.filter { index in free[index].map { type == nil || $0.type == type } ?? false }
            let byLabel = fits.first { free[$0]?.label == key.label }
            guard let index = byLabel ?? fits.first, let slot = free[index] else {
                let offered = slots.map { "'\($0.label)' (\($0.type.rawValue))" }.joined(separator: ", ")
                let scheme = key.commonEncryptionScheme.map { " (\($0))" } ?? ""
                throw .usage("the CPIX key \(key.id.uuidString.lowercased())\(scheme) has no place in streaming policy '\(policyName)': its keys are \(offered), "
                             + "and keys of the document already took the matching ones",
                             hint: "pick the streaming policy the keys were made for, or remove the extra keys from the document")
            }
            free[index] = nil
            result.append(StreamingLocatorContentKey(id: key.id.uuidString.lowercased(), type: slot.type, labelReferenceInStreamingPolicy: slot.label,
                                                     value: Data(key.value).base64EncodedString()))
        }
        return result
    }
}
