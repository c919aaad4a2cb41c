// TLS verification of the HTTP client the Oura client rides on, against a real TLS server
// (openssl s_server) with certificates made at test time: the right CA and name pass; a wrong
// name or an unknown CA is refused.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>

#include "oura/api/client.hpp"
#include "oura/core/process.hpp"
#include "oura/http/client.hpp"

using namespace oura;
using namespace std::chrono;
namespace fs = std::filesystem;

namespace {

void run(const std::vector<std::string>& argv) {
    auto r = core::run_process(argv, {}, seconds(30));
    INFO(argv[0] << " " << argv[1] << ": " << r.err);
    REQUIRE(r.exit_code == 0);
}

// A throwaway CA and leaf certificates signed by it.
struct Pki {
    fs::path dir;
    Pki() {
        std::string tmpl = (fs::temp_directory_path() / "oura-tls-XXXXXX").string();
        REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
        dir = tmpl;
        run({"openssl",
             "req",
             "-x509",
             "-newkey",
             "ec",
             "-pkeyopt",
             "ec_paramgen_curve:prime256v1",
             "-nodes",
             "-keyout",
             path("ca.key"),
             "-out",
             path("ca.pem"),
             "-days",
             "2",
             "-subj",
             "/CN=Oura Test CA",
             "-addext",
             "basicConstraints=critical,CA:TRUE",
             "-addext",
             "keyUsage=critical,keyCertSign,cRLSign"});
    }
    ~Pki() {
        std::error_code ignored;
        fs::remove_all(dir, ignored);
    }
    std::string path(const std::string& name) const { return (dir / name).string(); }
    std::string ca() const { return path("ca.pem"); }

    // Issues <name>.pem/<name>.key for DNS name `host`.
    void leaf(const std::string& name, const std::string& host) {
        run({"openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
             path(name + ".key"), "-out", path(name + ".csr"), "-subj", "/CN=" + host});
        std::ofstream(path(name + ".ext"))
            << "subjectAltName=DNS:" << host << "\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n";
        run({"openssl", "x509", "-req", "-in", path(name + ".csr"), "-CA", ca(), "-CAkey", path("ca.key"),
             "-CAcreateserial", "-out", path(name + ".pem"), "-days", "2", "-extfile", path(name + ".ext")});
    }
};

std::uint16_t free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    socklen_t len = sizeof addr;
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    ::close(fd);
    return ntohs(addr.sin_port);
}

// openssl s_server answering every GET with its status page.
struct TlsServer {
    std::uint16_t port = free_port();
    std::unique_ptr<core::ChildProcess> process;
    TlsServer(const Pki& pki, const std::string& leaf) {
        process = std::make_unique<core::ChildProcess>(
            std::vector<std::string>{"openssl", "s_server", "-accept", "127.0.0.1:" + std::to_string(port), "-cert",
                                     pki.path(leaf + ".pem"), "-key", pki.path(leaf + ".key"), "-www"},
            std::map<std::string, std::string>{}, pki.path(leaf + ".server.log"));
        for (;;) {
            auto line = process->read_line(seconds(10));
            REQUIRE(line);  // s_server says ACCEPT once it listens
            if (line->find("ACCEPT") != std::string::npos) break;
        }
    }
};

http::TransportError failure_of(http::Client& client, const std::string& url) {
    try {
        client.get(url);
    } catch (const http::transport_error& e) {
        return e.kind();
    }
    FAIL("the request succeeded");
    return http::TransportError::protocol;
}

}  // namespace

TEST_CASE("a server whose certificate chains to the configured CA and names the host is trusted", "[e2e][api]") {
    Pki pki;
    pki.leaf("localhost", "localhost");
    TlsServer server(pki, "localhost");
    http::ClientOptions opts;
    opts.ca_file = pki.ca();
    http::Client client(opts);
    auto res = client.get("https://localhost:" + std::to_string(server.port) + "/");
    CHECK(res.status == 200);
    CHECK(res.body.find("<HTML>") != std::string::npos);
}

TEST_CASE("a certificate that does not name the host is refused", "[fault][api]") {
    Pki pki;
    pki.leaf("localhost", "localhost");
    pki.leaf("other", "other.test");
    TlsServer for_localhost(pki, "localhost");
    TlsServer for_other(pki, "other");
    http::ClientOptions opts;
    opts.ca_file = pki.ca();
    http::Client client(opts);
    // The certificate names localhost; the URL names the address.
    CHECK(failure_of(client, "https://127.0.0.1:" + std::to_string(for_localhost.port) + "/") ==
          http::TransportError::tls);
    // A valid certificate from the trusted CA, but for another host.
    CHECK(failure_of(client, "https://localhost:" + std::to_string(for_other.port) + "/") == http::TransportError::tls);
}

TEST_CASE("a certificate from a CA the client does not trust is refused", "[fault][api]") {
    Pki pki;
    pki.leaf("localhost", "localhost");
    TlsServer server(pki, "localhost");
    http::Client client{http::ClientOptions{}};
    CHECK(failure_of(client, "https://localhost:" + std::to_string(server.port) + "/") == http::TransportError::tls);

    // Through the Oura client: a network error that says why, and the access token nowhere in it.
    core::ManualClock clock{system_clock::time_point{sys_days{2025y / 6 / 1}}};
    std::ostringstream log_text;
    core::Logger log{"api-test", core::Level::debug, &log_text};
    api::ApiOptions o;
    o.api_base_url = "https://localhost:" + std::to_string(server.port);
    o.retry.max_attempts = 1;
    o.clock = &clock;
    o.sleep = [](milliseconds) {};
    api::OuraClient oura(o, log);
    try {
        oura.fetch_personal_info("TOKEN-NOT-IN-ERRORS");
        FAIL("an untrusted server was accepted");
    } catch (const api::api_error& e) {
        CHECK(e.kind() == api::ErrorKind::network);
        CHECK(e.detail().find("TLS") != std::string::npos);
        CHECK(std::string(e.what()).find("TOKEN-NOT-IN-ERRORS") == std::string::npos);
    }
}
