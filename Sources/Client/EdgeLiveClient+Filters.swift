// `edgelive filter ...`: account filters, and asset filters with `--asset`.
import AMSModels

extension EdgeLiveClient {
    /// `filter create NAME ...` (synchronous PUT: 201 created, 200 replaced).
    public func createFilter(_ options: FilterCreateOptions) async throws(ClientError) -> CommandOutput {
        let subject = Self.filterSubject(options.name, asset: options.asset)
        let response = try await arm.send("PUT", Self.filterPath(options.name, asset: options.asset), apiVersion: ClientAPIVersion.metadata,
                                          body: try ARMClient.encode(try options.makeBody()), subject: subject)
        if json { return CommandOutput(response.text.hasSuffix("\n") ? response.text : response.text + "\n") }
        let filter = try ARMClient.decode(MediaFilter.self, from: response, subject: subject)
        let usage = "use it with `filter=\(options.name)` in a manifest URL, or `edgelive locator create --filter \(options.name)`"
        return CommandOutput(ResourceText.filterDetails(filter, asset: options.asset),
                             standardError: (response.status == 200 ? "replaced \(subject.description)\n" : "") + usage + "\n")
    }

    /// `filter list [--asset A]`.
    public func listFilters(asset: String?) async throws(ClientError) -> CommandOutput {
        let path = asset.map { Self.assetPath($0) + "/assetFilters" } ?? "/accountFilters"
        let (list, response) = try await arm.get(ARMList<MediaFilter>.self, path, apiVersion: ClientAPIVersion.metadata,
                                                 subject: RequestSubject(asset.map { "the filters of asset '\($0)'" } ?? "the account filters"))
        if json { return CommandOutput(response.text.hasSuffix("\n") ? response.text : response.text + "\n") }
        return CommandOutput(ResourceText.filterTable(list.value, asset: asset))
    }

    /// `filter show NAME [--asset A]`.
    public func showFilter(_ name: String, asset: String?) async throws(ClientError) -> CommandOutput {
        let (filter, response) = try await arm.get(MediaFilter.self, Self.filterPath(name, asset: asset), apiVersion: ClientAPIVersion.metadata,
                                                   subject: Self.filterSubject(name, asset: asset))
        if json { return CommandOutput(response.text.hasSuffix("\n") ? response.text : response.text + "\n") }
        return CommandOutput(ResourceText.filterDetails(filter, asset: asset))
    }

    /// `filter delete NAME [--asset A]` (synchronous: 200, or 204 when it did not exist).
    public func deleteFilter(_ name: String, asset: String?) async throws(ClientError) -> CommandOutput {
        let subject = Self.filterSubject(name, asset: asset)
        let response = try await arm.send("DELETE", Self.filterPath(name, asset: asset), apiVersion: ClientAPIVersion.metadata, subject: subject)
        return CommandOutput(response.status == 204 ? "" : "deleted \(subject.description)\n",
                             standardError: response.status == 204 ? "\(subject.description) did not exist\n" : "")
    }

    static func filterPath(_ name: String, asset: String?) -> String {
        (asset.map { assetPath($0) + "/assetFilters" } ?? "/accountFilters") + "/\(ARMClient.escape(name))"
    }

    static func filterSubject(_ name: String, asset: String?) -> RequestSubject {
        let flag = asset.map { " --asset \($0)" } ?? ""
        return RequestSubject(asset.map { "asset filter '\(name)' of asset '\($0)'" } ?? "account filter '\(name)'",
                              showCommand: "edgelive filter show \(name)\(flag)", listCommand: "edgelive filter list\(flag)")
    }
}

extension ResourceText {
    /// One line per filter: what it selects, in short.
    public static func filterTable(_ filters: [MediaFilter], asset: String?) -> String {
        guard !filters.isEmpty else {
            return asset.map { "No filters on asset '\($0)'.\n" } ?? "No account filters. `edgelive filter create` makes one.\n"
        }
        return TextTable(columns: ["NAME", "TRACKS", "TIME RANGE", "FIRST QUALITY"], rows: filters.map { filter in
            let p = filter.properties
            return [filter.name ?? "-", trackText(p?.tracks) ?? "all", timeRangeText(p?.presentationTimeRange) ?? "-",
                    p?.firstQuality?.bitrate.map { "\($0)" } ?? "-"]
        }).render()
    }

    /// The properties of one filter.
    public static func filterDetails(_ filter: MediaFilter, asset: String?) -> String {
        let p = filter.properties
        var block = KeyValueBlock()
        block.add("Name", filter.name)
        block.add("Kind", asset.map { "asset filter of '\($0)'" } ?? "account filter")
        block.add("Tracks", trackText(p?.tracks) ?? "all")
        block.add("Time range", timeRangeText(p?.presentationTimeRange))
        block.add("First quality", p?.firstQuality?.bitrate.map { "\($0) bps" })
        block.add("Created", filter.systemData?.createdAt.map(timestamp))
        return block.render()
    }

    /// `Type=video,Bitrate=0-2000000 | Type=audio`.
    static func trackText(_ tracks: [FilterTrackSelection]?) -> String? {
        guard let tracks, !tracks.isEmpty else { return nil }
        return tracks.map { selection in
            (selection.trackSelections ?? []).map { c in
                "\(c.property ?? "?")\(c.operation?.lowercased() == "notequal" ? "!=" : "=")\(c.value ?? "")"
            }.joined(separator: ",")
        }.joined(separator: " | ")
    }

    /// `start=… end=… window=60s backoff=10s` in seconds where relative.
    static func timeRangeText(_ range: PresentationTimeRange?) -> String? {
        guard let range else { return nil }
        let scale = Double(range.timescale ?? 10_000_000)
        func seconds(_ ticks: Int64) -> String {
            let value = Double(ticks) / scale
            return value == value.rounded() ? "\(Int64(value))s" : String(format: "%.3fs", value)
        }
        var parts: [String] = []
        if let start = range.startTimestamp { parts.append("start=\(start)") }
        if let end = range.endTimestamp { parts.append("end=\(end)") }
        if let window = range.presentationWindowDuration { parts.append("window=\(seconds(window))") }
        if let backoff = range.liveBackoffDuration { parts.append("backoff=\(seconds(backoff))") }
        if let timescale = range.timescale { parts.append("timescale=\(timescale)") }
        if range.forceEndTimestamp == true { parts.append("force-end") }
        return parts.isEmpty ? nil : parts.joined(separator: " ")
    }
}
