import Testing
@testable import Appliance

/// `/etc/edgelive/edgelive.conf`: INI parsing, errors that name the place, and how it maps onto the configuration.
@Suite struct ConfigurationFileTests {
    @Test func shippedShapeParsesAndApplies() throws {
        let file = try ConfigurationFile(text: """
            # edgelive
            [server]
            data-dir = /var/lib/edgelive
            http-port = 80          ; viewers
            rtmp-port = 1935
            api-port = 8090
            public-host =
            streaming-host = "tv.example.net"
            window = 600

            [channel]
            encoding = PassthroughStandard
            allow = 10.0.0.0/8, 192.168.1.0/24
            """, path: "test.conf")
        var configuration = ApplianceConfiguration()
        try configuration.apply(file)
        #expect(configuration.dataDirectory == "/var/lib/edgelive")
        #expect(configuration.httpPort == 80)
        #expect(configuration.apiPort == 8090)
        #expect(configuration.publicHost == nil, "an empty value keeps the default")
        #expect(configuration.streamingHost == "tv.example.net")
        #expect(configuration.windowSeconds == 600)
        #expect(configuration.listenHost == "0.0.0.0")
        #expect(file.list("channel", "allow") == ["10.0.0.0/8", "192.168.1.0/24"])
        #expect(file.value("channel", "encoding") == "PassthroughStandard")
    }

    @Test func rtmpsKeysApply() throws {
        var configuration = ApplianceConfiguration()
        #expect(configuration.rtmpsPort == 2935 && configuration.tlsCertificate == nil && configuration.tlsKey == nil,
                "RTMPS defaults: the service's port, no certificate (off)")
        try configuration.apply(ConfigurationFile(text: """
            [server]
            rtmps-port = 2936
            tls-certificate = /etc/edgelive/tls/ingest.crt
            tls-key = "/etc/edgelive/tls/ingest.key"
            """, path: "test.conf"))
        #expect(configuration.rtmpsPort == 2936)
        #expect(configuration.tlsCertificate == "/etc/edgelive/tls/ingest.crt")
        #expect(configuration.tlsKey == "/etc/edgelive/tls/ingest.key")
        var refused = ApplianceConfiguration()
        #expect(throws: ConfigurationError.self) {
            try refused.apply(ConfigurationFile(text: "[server]\nrtmps-port = 70000", path: "test.conf"))
        }
    }

    @Test func mistakesNameTheFileLineAndFix() {
        let cases: [(String, String)] = [
            ("[server]\nhttp-prot = 80", "test.conf:2: unknown key 'http-prot'"),
            ("[servers]\n", "test.conf:1: unknown section [servers]"),
            ("http-port = 80", "outside a section"),
            ("[server]\nhttp-port 80", "expected 'key = value'"),
            ("[server\n", "section header"),
        ]
        for (text, expected) in cases {
            #expect(throws: ConfigurationError.self, "\(text)") { try ConfigurationFile(text: text, path: "test.conf") }
            do {
                _ = try ConfigurationFile(text: text, path: "test.conf")
            } catch {
                #expect(error.description.contains(expected), "\(error.description)")
            }
        }
    }

    @Test func badValuesAreRefusedWhenApplied() throws {
        for (text, expected) in [("[server]\nhttp-port = eighty", "whole number"), ("[server]\napi-port = 70000", "not a TCP port"),
                                 ("[server]\nwindow = 5", "at least 10 seconds")] {
            var configuration = ApplianceConfiguration()
            let file = try ConfigurationFile(text: text, path: "test.conf")
            do {
                try configuration.apply(file)
                Issue.record("\(text) was accepted")
            } catch {
                #expect(error.description.contains(expected), "\(error.description)")
            }
        }
    }

    /// Found writing the config_file fuzz target (Tests/Fuzz), which reproduces it: a window whose media time (seconds × 10 000 000 ticks)
    /// overflows trapped at start-up when the channel configuration was derived; now a ConfigurationError.
    @Test func windowTooLargeForMediaTimeIsRefused() throws {
        var configuration = ApplianceConfiguration()
        let file = try ConfigurationFile(text: "[server]\nwindow = 922337203686\n", path: "test.conf")
        do {
            try configuration.apply(file)
            Issue.record("a window of 922337203686 s was accepted")
        } catch {
            #expect(error.description.contains("test.conf: [server] window 922337203686 is over the 604800-second"),
                    "\(error.description)")
        }
        var week = ApplianceConfiguration()
        try week.apply(ConfigurationFile(text: "[server]\nwindow = 604800\n"))
        #expect(week.channelConfiguration.windowDuration == 604_800 * 10_000_000)
    }

    @Test func missingFileSaysWhich() {
        do {
            _ = try ConfigurationFile.load(path: "/nonexistent/edgelive.conf")
            Issue.record("a missing file was accepted")
        } catch {
            #expect(error.description.contains("/nonexistent/edgelive.conf"))
        }
    }
}
