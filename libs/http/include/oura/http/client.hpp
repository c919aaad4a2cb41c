#pragma once
// HTTP/1.1 client with TLS (certificate and host-name verification on by default, SNI), keep-alive
// connection reuse and connect/read timeouts. Plain HTTP only when the URL says http://.
// Thread-safe: concurrent requests use separate connections.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "oura/http/message.hpp"

namespace oura::http {

struct Url {
    std::string scheme;  // "http" or "https"
    std::string host;    // a name, an IPv4 address or an IPv6 address without brackets ("::1")
    std::uint16_t port = 0;
    std::string target;  // path and query, at least "/"
    bool tls() const { return scheme == "https"; }
    std::string authority() const;  // host[:port], an IPv6 address in brackets: the Host header
    std::string origin() const;     // scheme://authority
};
// http(s)://host[:port][/target], where host may be an IPv6 literal in brackets
// (http://[::1]:8080/); nullopt for anything else, user info included.
std::optional<Url> parse_url(std::string_view url);

enum class TransportError { resolve, connect, timeout, tls, reset, protocol };
std::string_view to_string(TransportError kind);

// Nothing usable came back: no status line, a broken connection, a timeout or a truncated body.
class transport_error : public std::runtime_error {
public:
    transport_error(TransportError kind, const std::string& what) : std::runtime_error(what), kind_(kind) {}
    TransportError kind() const { return kind_; }

private:
    TransportError kind_;
};

struct ClientOptions {
    std::chrono::milliseconds resolve_timeout{10000};  // the DNS lookup of a new connection
    std::chrono::milliseconds connect_timeout{10000};
    std::chrono::milliseconds read_timeout{30000};  // per request: sending it and reading the whole answer
    std::string ca_file;        // extra trust anchors (PEM); empty = the system bundle only
    bool verify_peer = true;    // never turn off outside tests of the refusal itself
    std::size_t max_idle_per_origin = 8;
    std::size_t max_body_bytes = 256 * 1024 * 1024;
    std::string user_agent = "oura-platform/0.1";
};

struct ClientResponse {
    int status = 0;
    Headers headers;
    std::string body;
};

class Client {
public:
    explicit Client(ClientOptions options = {});
    ~Client();
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    // Throws transport_error; an HTTP error status is a normal return.
    ClientResponse request(std::string_view method, std::string_view url, const Headers& headers = {},
                           std::string_view body = {});
    ClientResponse get(std::string_view url, const Headers& headers = {}) { return request("GET", url, headers); }

    std::size_t connections_opened() const;  // for tests: proves keep-alive reuse

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace oura::http
