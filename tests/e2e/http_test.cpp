// libs/http over real sockets: the server every service and the simulator use, and the client
// every Oura call goes through.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "oura/http/client.hpp"
#include "oura/http/server.hpp"
#include "wait.hpp"

using namespace oura::http;
using namespace std::chrono_literals;

namespace {

// True when a TCP connection to 127.0.0.1:port is accepted (the listener is open).
bool accepts_connections(std::uint16_t port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    close(fd);
    return ok;
}

struct Running {
    Server server;
    std::string base;
    Running(Handler h, ServerOptions o = {}) : server(o, std::move(h)) {
        server.start();
        base = "http://127.0.0.1:" + std::to_string(server.port());
    }
};

}  // namespace

TEST_CASE("a handler's answer reaches the client with status, headers and body intact", "[e2e][http]") {
    Running r([](const Request& req) {
        auto res = json_response(201, "{\"path\":\"" + std::string(req.path()) + "\",\"q\":\"" + req.query("x").value_or("") + "\"}");
        res.headers.set("X-Trace-Id", "abc");
        return res;
    });
    Client c;
    auto res = c.get(r.base + "/v2/thing?x=a%2Bb");
    CHECK(res.status == 201);
    CHECK(res.headers.get("x-trace-id") == "abc");
    CHECK(res.body == R"({"path":"/v2/thing","q":"a+b"})");
}

TEST_CASE("the raw request body reaches the handler byte for byte", "[e2e][http]") {
    std::string seen;
    Running r([&](const Request& req) {
        seen = req.body;
        return text_response(200, "ok");
    });
    Client c;
    std::string body = "{\"a\": 1,  \"b\":\"\xc3\xa9\"}\n";
    c.request("POST", r.base + "/webhook", {}, body);
    CHECK(seen == body);
}

TEST_CASE("ten requests to one origin share one kept-alive connection", "[e2e][http]") {
    Running r([](const Request&) { return text_response(200, "ok"); });
    Client c;
    for (int i = 0; i < 10; ++i) REQUIRE(c.get(r.base + "/").status == 200);
    CHECK(c.connections_opened() == 1);
}

TEST_CASE("a body over the limit is refused with 413 and the handler never runs", "[e2e][http]") {
    std::atomic<int> calls{0};
    ServerOptions o;
    o.max_body_bytes = 1024;
    Running r(
        [&](const Request&) {
            ++calls;
            return text_response(200, "ok");
        },
        o);
    Client c;
    auto res = c.request("POST", r.base + "/", {}, std::string(4096, 'x'));
    CHECK(res.status == 413);
    CHECK(calls == 0);
}

TEST_CASE("a handler that throws answers 500 without details", "[e2e][http]") {
    Running r([](const Request&) -> Response { throw std::runtime_error("secret detail"); });
    Client c;
    auto res = c.get(r.base + "/");
    CHECK(res.status == 500);
    CHECK(res.body.find("secret detail") == std::string::npos);
}

TEST_CASE("reset, truncation and slowness surface as transport errors of the right kind", "[e2e][http]") {
    Running r([](const Request& req) {
        auto res = text_response(200, std::string(10000, 'y'));
        if (req.path() == "/reset") res.fault = Fault::reset;
        if (req.path() == "/truncate") res.fault = Fault::truncate;
        if (req.path() == "/slow") res.delay = 2s;
        return res;
    });
    ClientOptions o;
    o.read_timeout = 300ms;
    Client c(o);
    try {
        c.get(r.base + "/reset");
        FAIL("reset must throw");
    } catch (const transport_error& e) {
        CHECK((e.kind() == TransportError::reset || e.kind() == TransportError::protocol));
    }
    CHECK_THROWS_AS(c.get(r.base + "/truncate"), transport_error);
    auto start = std::chrono::steady_clock::now();
    try {
        c.get(r.base + "/slow");
        FAIL("slow must time out");
    } catch (const transport_error& e) {
        CHECK(e.kind() == TransportError::timeout);
    }
    CHECK(std::chrono::steady_clock::now() - start < 1500ms);
    CHECK(c.get(r.base + "/fine").status == 200);  // the client recovers on a fresh connection
}

TEST_CASE("a delayed answer does not hold a server thread", "[e2e][http]") {
    ServerOptions o;
    o.threads = 1;
    std::atomic<bool> slow_taken{false};
    Running r(
        [&](const Request& req) {
            auto res = text_response(200, "ok");
            if (req.path() == "/slow") {
                res.delay = 1500ms;
                slow_taken = true;
            }
            return res;
        },
        o);
    std::thread slow([&] {
        Client c;
        c.get(r.base + "/slow");
    });
    // The slow answer must be pending on the only server thread before the fast request is sent.
    oura::test::wait_until("the server has taken the slow request", [&] { return slow_taken.load(); });
    Client c;
    auto start = std::chrono::steady_clock::now();
    CHECK(c.get(r.base + "/fast").status == 200);
    CHECK(std::chrono::steady_clock::now() - start < 1000ms);
    slow.join();
}

TEST_CASE("stopping lets the request in flight finish and refuses new connections", "[e2e][http]") {
    std::atomic<bool> entered{false}, refused_while_in_flight{false};
    std::uint16_t port = 0;
    ServerOptions o;
    o.threads = 2;  // the handler holds one thread; the other closes the listener at stop
    auto server = std::make_unique<Server>(o, [&](const Request&) {
        entered = true;
        // The handler answers only once the stopping server refuses new connections, so the stop
        // really happens while this request is in flight. Bounded: a server that never stops
        // listening fails the check below instead of hanging the test.
        auto deadline = std::chrono::steady_clock::now() + 20s;
        while (!refused_while_in_flight && std::chrono::steady_clock::now() < deadline) {
            refused_while_in_flight = !accepts_connections(port);
            if (!refused_while_in_flight) std::this_thread::sleep_for(5ms);  // polling pace only
        }
        return text_response(200, "finished");
    });
    port = server->port();
    server->start();
    auto base = "http://127.0.0.1:" + std::to_string(port);
    std::string answer;
    std::thread in_flight([&] {
        Client c;
        answer = c.get(base + "/").body;
    });
    oura::test::wait_until("the request is in the handler", [&] { return entered.load(); });
    server->stop(30s);
    in_flight.join();
    CHECK(refused_while_in_flight);
    CHECK(answer == "finished");
    Client late;
    CHECK_THROWS_AS(late.get(base + "/"), transport_error);
}

TEST_CASE("a client that stops mid-request is disconnected after the read timeout", "[e2e][http]") {
    ServerOptions o;
    o.read_timeout = 200ms;
    Running r([](const Request&) { return text_response(200, "ok"); }, o);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(r.server.port());
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    std::string partial = "GET / HTTP/1.1\r\nHost: x\r\n";  // the header block never ends
    REQUIRE(write(fd, partial.data(), partial.size()) == static_cast<ssize_t>(partial.size()));
    auto start = std::chrono::steady_clock::now();
    char buf[16];
    timeval tv{3, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    auto n = read(fd, buf, sizeof buf);  // 0: the server closed the connection
    CHECK(n == 0);
    CHECK(std::chrono::steady_clock::now() - start < 1500ms);
    close(fd);
}

TEST_CASE("a URL with an IPv6 literal reaches a server listening on ::1", "[e2e][http]") {
    ServerOptions o;
    o.address = "::1";
    std::string host_header;
    Server server(o, [&](const Request& req) {
        host_header = std::string(req.headers.get("Host").value_or(""));
        return json_response(200, "{}");
    });
    server.start();
    Client c;
    auto port = std::to_string(server.port());
    auto res = c.get("http://[::1]:" + port + "/v2/ping");
    CHECK(res.status == 200);
    CHECK(host_header == "[::1]:" + port);
}

TEST_CASE("a host name that does not resolve fails as a resolve error within the deadline", "[e2e][http]") {
    ClientOptions o;
    o.resolve_timeout = 2s;
    Client c(o);
    auto start = std::chrono::steady_clock::now();
    try {
        c.get("http://no-such-host.invalid/");  // RFC 6761: never resolves
        FAIL("expected a transport error");
    } catch (const transport_error& e) {
        CHECK(e.kind() == TransportError::resolve);
    }
    CHECK(std::chrono::steady_clock::now() - start < 2500ms);
}
