// How each resource reads in a terminal: list tables and `show` blocks.
import AMSModels
import Foundation

/// Terminal renderings of the ARM resources.
public enum ResourceText {
    // MARK: - Live events

    /// `NAME STATE ENCODING PROTOCOL INGEST` (the first ingest URL).
    public static func liveEventTable(_ events: [LiveEvent]) -> String {
        guard !events.isEmpty else { return "No live events. Create one with `edgelive event create NAME`.\n" }
        return TextTable(columns: ["NAME", "STATE", "ENCODING", "PROTOCOL", "INGEST"], rows: events.map { event in
            let properties = event.properties
            return [event.name ?? "-", properties?.resourceState?.rawValue ?? "-",
                    properties?.encoding?.encodingType?.rawValue ?? "None",
                    properties?.input?.streamingProtocol?.rawValue ?? "-",
                    properties?.input?.endpoints?.first?.url ?? "-"]
        }).render()
    }

    /// State, settings, ingest URLs and preview URLs (with the HLS/DASH CMAF forms players use).
    public static func liveEventDetails(_ event: LiveEvent) -> String {
        let properties = event.properties
        var block = KeyValueBlock()
        block.add("Name", event.name)
        block.add("State", properties?.resourceState?.rawValue)
        block.add("Provisioning", properties?.provisioningState)
        block.add("Description", properties?.description)
        block.add("Location", event.location)
        block.add("Encoding", properties?.encoding?.encodingType?.rawValue ?? "None")
        block.add("Preset", properties?.encoding?.presetName)
        block.add("Key frame interval", properties?.encoding?.keyFrameInterval ?? properties?.input?.keyFrameIntervalDuration)
        block.add("Protocol", properties?.input?.streamingProtocol?.rawValue)
        block.add("Access token", properties?.input?.accessToken)
        block.add("Stream options", properties?.streamOptions.map { $0.map(\.rawValue).joined(separator: ", ") })
        block.add("Static hostname", properties?.useStaticHostname.map { $0 ? "yes" : "no" })
        block.add("Ingest allow", list: ranges(properties?.input?.accessControl?.ip?.allow))
        block.add("Ingest", list: endpoints(properties?.input?.endpoints), empty: "(none until the event runs: `edgelive event start NAME`)")
        block.add("Preview", list: previewURLs(properties?.preview?.endpoints), empty: "(none until the event runs)")
        block.add("Preview allow", list: ranges(properties?.preview?.accessControl?.ip?.allow))
        block.add("Created", properties?.created.map(timestamp))
        block.add("Modified", properties?.lastModified.map(timestamp))
        return block.render()
    }

    // MARK: - Live outputs

    /// `NAME STATE ASSET MANIFEST ARCHIVE REWIND`.
    public static func liveOutputTable(_ outputs: [LiveOutput], event: String) -> String {
        guard !outputs.isEmpty else { return "No live outputs on live event '\(event)'. Create one with `edgelive output create \(event) NAME --asset ASSET`.\n" }
        return TextTable(columns: ["NAME", "STATE", "ASSET", "MANIFEST", "ARCHIVE", "REWIND"], rows: outputs.map { output in
            let properties = output.properties
            return [output.name ?? "-", properties?.resourceState?.rawValue ?? "-", properties?.assetName ?? "-",
                    properties?.manifestName ?? "-", properties?.archiveWindowLength ?? "-", properties?.rewindWindowLength ?? "-"]
        }).render()
    }

    /// The settings of one live output.
    public static func liveOutputDetails(_ output: LiveOutput) -> String {
        let properties = output.properties
        var block = KeyValueBlock()
        block.add("Name", output.name)
        block.add("State", properties?.resourceState?.rawValue)
        block.add("Provisioning", properties?.provisioningState)
        block.add("Description", properties?.description)
        block.add("Asset", properties?.assetName)
        block.add("Manifest", properties?.manifestName.map { "\($0).ism" })
        block.add("Archive window", properties?.archiveWindowLength)
        block.add("Rewind window", properties?.rewindWindowLength)
        block.add("Fragments per TS segment", properties?.hls?.fragmentsPerTsSegment.map { String($0) })
        block.add("Created", properties?.created.map(timestamp))
        return block.render()
    }

    // MARK: - Assets

    /// `NAME ASSET-ID CONTAINER CREATED`.
    public static func assetTable(_ assets: [Asset]) -> String {
        guard !assets.isEmpty else { return "No assets. `edgelive output create` creates one for its archive.\n" }
        return TextTable(columns: ["NAME", "ASSET-ID", "CONTAINER", "CREATED"], rows: assets.map { asset in
            [asset.name ?? "-", asset.properties?.assetId ?? "-", asset.properties?.container ?? "-",
             asset.properties?.created.map(timestamp) ?? "-"]
        }).render()
    }

    /// The properties of one asset.
    public static func assetDetails(_ asset: Asset) -> String {
        let properties = asset.properties
        var block = KeyValueBlock()
        block.add("Name", asset.name)
        block.add("Asset id", properties?.assetId)
        block.add("Description", properties?.description)
        block.add("Alternate id", properties?.alternateId)
        block.add("Container", properties?.container)
        block.add("Storage account", properties?.storageAccountName)
        block.add("Created", properties?.created.map(timestamp))
        block.add("Modified", properties?.lastModified.map(timestamp))
        return block.render()
    }

    // MARK: - Locators and endpoints

    /// The properties of one streaming locator.
    public static func locatorDetails(_ locator: StreamingLocator) -> String {
        let properties = locator.properties
        var block = KeyValueBlock()
        block.add("Name", locator.name)
        block.add("Locator id", properties?.streamingLocatorId)
        block.add("Asset", properties?.assetName)
        block.add("Policy", properties?.streamingPolicyName)
        block.add("Key policy", properties?.defaultContentKeyPolicyName)
        if let keys = properties?.contentKeys, !keys.isEmpty {
            block.add("Content keys", list: keys.map { key in [key.id, key.labelReferenceInStreamingPolicy].compactMap { $0 }.joined(separator: " ") })
        }
        if let filters = properties?.filters, !filters.isEmpty { block.add("Filters", filters.joined(separator: ", ")) }
        block.add("Start", properties?.startTime.map(timestamp))
        block.add("End", properties?.endTime.map(timestamp))
        block.add("Created", properties?.created.map(timestamp))
        return block.render()
    }

    /// The properties of one streaming endpoint.
    public static func endpointDetails(_ endpoint: StreamingEndpoint) -> String {
        let properties = endpoint.properties
        var block = KeyValueBlock()
        block.add("Name", endpoint.name)
        block.add("State", properties?.resourceState?.rawValue)
        block.add("Provisioning", properties?.provisioningState)
        block.add("Host name", properties?.hostName)
        block.add("Scale units", properties?.scaleUnits.map { String($0) })
        block.add("Description", properties?.description)
        block.add("Max cache age", properties?.maxCacheAge.map { "\($0) s" })
        block.add("Custom host names", list: properties?.customHostNames ?? [])
        block.add("Created", properties?.created.map(timestamp))
        return block.render()
    }

    // MARK: - Pieces

    /// `2024-01-31T12:00:00Z`: the ARM form without fractional seconds, which only add noise in a terminal.
    public static func timestamp(_ date: Date) -> String {
        let full = ARMDateTime.format(date)
        return String(full.prefix(19)) + "Z"
    }

    private static func endpoints(_ endpoints: [LiveEventEndpoint]?) -> [String] {
        (endpoints ?? []).compactMap { endpoint in
            guard let url = endpoint.url else { return nil }
            return endpoint.protocol.map { "\(url)  (\($0))" } ?? url
        }
    }

    /// Preview endpoints are Smooth manifests; players want the HLS/DASH CMAF forms, so those are listed too.
    private static func previewURLs(_ endpoints: [LiveEventEndpoint]?) -> [String] {
        var urls: [String] = []
        for endpoint in endpoints ?? [] {
            guard let url = endpoint.url else { continue }
            urls.append(url)
            if url.hasSuffix("/manifest") {
                urls.append(url + "(format=m3u8-cmaf)")
                urls.append(url + "(format=mpd-time-cmaf)")
            }
        }
        return urls
    }

    private static func ranges(_ ranges: [IPRange]?) -> [String] {
        (ranges ?? []).map { range in
            let cidr = "\(range.address ?? "?")/\(range.subnetPrefixLength.map { String($0) } ?? "-")"
            return range.name.map { "\(cidr) (\($0))" } ?? cidr
        }
    }
}
