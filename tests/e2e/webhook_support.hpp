#pragma once
// ingest-webhook as a real process for e2e and fault tests: started on a free port against the
// test's database and simulator, with signed deliveries built the way Oura signs them.

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "harness.hpp"
#include "oura/core/crypto.hpp"
#include "oura/core/json.hpp"
#include "oura/core/process.hpp"
#include "oura/http/client.hpp"
#include "sim.hpp"
#include "wait.hpp"

namespace oura::test::webhook {

inline constexpr const char* verification_token = "verify-token-0123456789";
inline constexpr const char* admin_token = "admin-token-0123456789abcdef";

inline std::uint16_t free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    ::close(fd);
    return ntohs(addr.sin_port);
}

inline http::Client& client() {
    static http::Client c([] {
        http::ClientOptions o;
        o.connect_timeout = std::chrono::seconds(5);
        o.read_timeout = std::chrono::seconds(20);
        o.max_idle_per_origin = 64;
        return o;
    }());
    return c;
}

class Edge {
public:
    Edge(std::map<std::string, std::string> env, std::uint16_t port = 0) : env_(std::move(env)) {
        port_ = port ? port : free_port();
        url_ = "http://127.0.0.1:" + std::to_string(port_);
        env_["OURA_HTTP_PORT"] = std::to_string(port_);
        env_["OURA_HTTP_ADDRESS"] = "127.0.0.1";
        env_.emplace("OURA_WEBHOOK_VERIFICATION_TOKEN", verification_token);
        env_.emplace("OURA_OAUTH_REDIRECT_URI", url_ + "/oauth/callback");
        env_.emplace("OURA_QUERY_ADMIN_TOKENS", admin_token);
        env_.emplace("OURA_SHUTDOWN_GRACE_SECONDS", "5");
        log_ = (std::filesystem::temp_directory_path() / ("ingest-webhook-" + std::to_string(port_) + ".log")).string();
        start();
    }
    void start() {
        process_ = std::make_unique<core::ChildProcess>(std::vector<std::string>{binary("ingest-webhook")}, env_, log_);
        bool up = poll_until([&] {
            try {
                return client().get(url_ + "/healthz").status == 200;
            } catch (const std::exception&) {
                return false;
            }
        });
        if (!up) throw std::runtime_error("ingest-webhook did not come up: " + log());
    }
    void kill9() { process_->stop(SIGKILL, std::chrono::seconds(10)); }
    const std::string& url() const { return url_; }
    std::string log() const {
        std::ifstream in(log_);
        std::stringstream s;
        s << in.rdbuf();
        return s.str();
    }
    core::ChildProcess& process() { return *process_; }

private:
    std::map<std::string, std::string> env_;
    std::uint16_t port_ = 0;
    std::string url_, log_;
    std::unique_ptr<core::ChildProcess> process_;
};

inline std::string now_unix() {
    return std::to_string(
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
}

inline http::Headers signed_headers(const std::string& body, const std::string& secret = Simulator::client_secret,
                                    const std::string& timestamp = now_unix(), bool upper = true) {
    auto sig = core::hmac_sha256_hex(secret, timestamp + body);
    if (upper) std::transform(sig.begin(), sig.end(), sig.begin(), [](unsigned char c) { return std::toupper(c); });
    http::Headers h;
    h.set("Content-Type", "application/json");
    h.set("x-oura-timestamp", timestamp);
    h.set("x-oura-signature", sig);
    return h;
}

inline std::string event(const std::string& event_type, const std::string& data_type, const std::string& object_id,
                         const std::string& event_time, const std::string& user_id) {
    core::JsonWriter w;
    w.begin_object()
        .field("event_type", event_type)
        .field("data_type", data_type)
        .field("object_id", object_id)
        .field("event_time", event_time)
        .field("user_id", user_id)
        .end_object();
    return w.take();
}

inline http::ClientResponse deliver(const Edge& edge, const std::string& body, const http::Headers& headers) {
    return client().request("POST", edge.url() + "/webhook/oura", headers, body);
}
inline http::ClientResponse deliver(const Edge& edge, const std::string& body) {
    return deliver(edge, body, signed_headers(body));
}

// The "id" of each item of a truth listing.
inline std::vector<std::string> ids_of(const std::vector<std::string>& items) {
    std::vector<std::string> out;
    for (const auto& item : items) {
        auto doc = core::parse_json(item);
        out.emplace_back(std::string(core::get_string(doc, "id").value_or("")));
    }
    return out;
}

}  // namespace oura::test::webhook
