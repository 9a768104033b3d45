// Socket activation: ListenFDs.take() and TCPServer on an inherited, already-listening descriptor.
import EventLoop
import Foundation
import TestSupport
import Testing
@testable import Systemd

@Test func listenFDNamesGroupInOrder() {
    let grouped = ListenFDs.group(names: ["http", "rtmp", "http", "", "api"], firstDescriptor: 3)
    #expect(grouped == ["http": [3, 5], "rtmp": [4], "unknown": [6], "api": [7]])
    #expect(ListenFDs.group(names: [], firstDescriptor: 3).isEmpty)
}

/// A socket bound and listening before the loop sees it (as systemd hands it over) accepts connections.
@Test func tcpServerAcceptsOnAnAlreadyListeningDescriptor() async throws {
    let (descriptor, port) = try makeListeningSocket()
    try await withLoop { loop in
        let accepted = LoopBox(0)
        let server = try await loop.submit {
            let server = try TCPServer.listen(loop: loop, descriptor: descriptor) { connection in
                accepted.value += 1
                connection.write(Array("hello\n".utf8)) { _ in connection.close() }
            }
            #expect(server.localPort == port)
            return server
        }
        let client = try connectLoopback(port: port, deadline: .now + .seconds(5))
        defer { close(client) }
        #expect(readAll(client, timeout: .seconds(5)) == "hello\n")
        #expect(try await loop.submit { accepted.value } == 1)
        try await loop.submit { server.close() }
    }
}

extension SystemdEnvironmentTests {
    @Suite struct ListenFDsTests {
        @Test func nothingInheritedWithoutSocketActivation() async throws {
            try await withEnvironment(["LISTEN_FDS": nil, "LISTEN_PID": nil, "LISTEN_FDNAMES": nil]) {
                #expect(ListenFDs.take().isEmpty)
            }
        }

        /// Another process's LISTEN_FDS (we are its child) must not be claimed.
        @Test func listenFDsOfAnotherProcessAreIgnored() async throws {
            try await withEnvironment(["LISTEN_FDS": "1", "LISTEN_PID": "1", "LISTEN_FDNAMES": "http"]) {
                #expect(ListenFDs.take().isEmpty)
            }
        }
    }
}

// MARK: - Real socket activation through systemd-socket-activate

/// systemd's own activator binds two ports, waits for a connection, then execs this test binary running
/// only `socketActivatedChild`, with the sockets on fds 3 and 4 and LISTEN_PID set for it. Doing it in a
/// child keeps fd 3 and LISTEN_* of this (parallel, shared) test process untouched.
@Test(.enabled(if: activatorPath != nil, "systemd-socket-activate is not installed"))
func socketActivatedChildAcceptsOnInheritedSockets() throws {
    let activator = try #require(activatorPath)
    let httpPort = try freePort()
    let rtmpPort = try freePort()
    let process = Process()
    process.executableURL = URL(fileURLWithPath: activator)
    process.arguments = ["-l", "127.0.0.1:\(httpPort)", "-l", "127.0.0.1:\(rtmpPort)", "--fdname=http:rtmp",
                         "-E", "EDGELIVE_TEST_SOCKET_ACTIVATED_CHILD=1",
                         try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")]
        + childTestArguments
    // The child's own test report (small) is kept to explain a failure.
    let report = Pipe()
    process.standardOutput = report
    process.standardError = report
    try process.run()
    defer { if process.isRunning { process.terminate() } }
    // The connection both triggers the exec and is then accepted by the child's TCPServer.
    let client = try connectLoopback(port: httpPort, deadline: .now + .seconds(10))
    defer { close(client) }
    let reply = readAll(client, timeout: .seconds(120))
    #expect(reply == "http=[3] rtmp=[4] env-unset=true\n")
    process.waitUntilExit()
    let childOutput = String(decoding: Data(BlockingRead.toEnd(fileDescriptor: report.fileHandleForReading.fileDescriptor)), as: UTF8.self)
    #expect(process.terminationStatus == 0, "child output:\n\(childOutput)")
}

/// The child half of the test above: runs only inside the activated process.
@Test(.enabled(if: ProcessInfo.processInfo.environment["EDGELIVE_TEST_SOCKET_ACTIVATED_CHILD"] == "1",
               "runs only as the socket-activated child of socketActivatedChildAcceptsOnInheritedSockets"))
func socketActivatedChild() async throws {
    let taken = ListenFDs.take()
    let unset = getenv("LISTEN_FDS") == nil && getenv("LISTEN_PID") == nil && getenv("LISTEN_FDNAMES") == nil
    let http = try #require(taken["http"]?.first)
    let report = "http=\(taken["http"] ?? []) rtmp=\(taken["rtmp"] ?? []) env-unset=\(unset)\n"
    try await withLoop { loop in
        // Loop-thread state: whether the reply was written, and who waits for that.
        let written = LoopBox(false)
        let waiter = LoopBox<CheckedContinuation<Void, Never>?>(nil)
        let server = try await loop.submit {
            try TCPServer.listen(loop: loop, descriptor: http) { connection in
                connection.write(Array(report.utf8)) { _ in
                    connection.close()
                    written.value = true
                    waiter.value?.resume()
                    waiter.value = nil
                }
            }
        }
        await withCheckedContinuation { continuation in
            loop.execute {
                if written.value { continuation.resume() } else { waiter.value = continuation }
            }
        }
        try await loop.submit {
            server.close()
            for descriptor in taken.values.flatMap({ $0 }) where descriptor != http { close(descriptor) }
        }
    }
}

/// Where systemd-socket-activate lives, if installed.
let activatorPath: String? = ["/usr/bin/systemd-socket-activate", "/bin/systemd-socket-activate"]
    .first { FileManager.default.isExecutableFile(atPath: $0) }

/// Arguments that make this test binary run only the child test (swift-testing under XCTest's runner).
let childTestArguments = ["--testing-library", "swift-testing", "--filter", #"SystemdTests\.socketActivatedChild\("#]

/// Roles come from names when systemd gave them, else from the port each socket is bound to; leftovers are
/// returned for closing.
@Test func inheritedSocketsTakeRolesByNameOrPort() throws {
    func listening() throws -> (Int32, Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        try #require(fd >= 0 && bound == 0 && listen(fd, 1) == 0)
        return (fd, try #require(ListenFDs.localPort(of: fd)))
    }
    let (a, portA) = try listening(), (b, portB) = try listening(), (c, _) = try listening()
    defer { close(a); close(b); close(c) }
    #expect(portA > 0 && portA != portB)
    // One unit, no names: matched by port; the socket on no configured port is left over.
    let unnamed = ListenFDs.assign(["edgelive.socket": [a, b, c]], ports: ["http": portB, "rtmp": portA, "api": 1])
    #expect(unnamed.roles == ["http": b, "rtmp": a])
    #expect(unnamed.unused == [c])
    // Named sockets take their role whatever their port.
    let named = ListenFDs.assign(["http": [a], "api": [b]], ports: ["http": 1, "rtmp": 2, "api": 3])
    #expect(named.roles == ["http": a, "api": b])
    #expect(named.unused.isEmpty)
    #expect(ListenFDs.localPort(of: -1) == nil)
}
