// The only translation unit that compiles Beast's client side and Asio's TLS.
#include "oura/http/client.hpp"

#include <openssl/ssl.h>

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "oura/core/text.hpp"

namespace oura::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;

std::string Url::authority() const {
    bool default_port = (scheme == "http" && port == 80) || (scheme == "https" && port == 443);
    // An IPv6 literal is the one host with a ':' in it; URLs and Host headers bracket it.
    std::string name = host.find(':') == std::string::npos ? host : "[" + host + "]";
    return default_port ? name : name + ":" + std::to_string(port);
}

std::string Url::origin() const {
    return scheme + "://" + authority();
}

std::optional<Url> parse_url(std::string_view url) {
    Url out;
    auto scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos) return std::nullopt;
    out.scheme = std::string(url.substr(0, scheme_end));
    if (out.scheme != "http" && out.scheme != "https") return std::nullopt;
    auto rest = url.substr(scheme_end + 3);
    auto slash = rest.find_first_of("/?");
    auto authority = rest.substr(0, slash);
    out.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
    if (!out.target.empty() && out.target[0] == '?') out.target = "/" + out.target;
    if (authority.empty() || authority.find('@') != std::string_view::npos) return std::nullopt;
    std::string_view host, port;
    if (authority.front() == '[') {  // IPv6 literal: [::1] or [::1]:8080
        auto close = authority.find(']');
        if (close == std::string_view::npos) return std::nullopt;
        host = authority.substr(1, close - 1);
        auto after = authority.substr(close + 1);
        if (!after.empty() && after.front() != ':') return std::nullopt;
        if (!after.empty()) port = after.substr(1);
        boost::system::error_code ec;
        asio::ip::make_address_v6(std::string(host), ec);
        if (ec) return std::nullopt;
    } else {
        auto colon = authority.find(':');
        host = authority.substr(0, colon);
        if (colon != std::string_view::npos) port = authority.substr(colon + 1);
        if (port.find(':') != std::string_view::npos) return std::nullopt;  // an unbracketed IPv6 address
    }
    if (host.empty()) return std::nullopt;
    out.host = std::string(host);
    if (port.data() == nullptr) {
        out.port = out.tls() ? 443 : 80;
    } else {
        auto n = core::parse_int(port, 1, 65535);
        if (!n) return std::nullopt;
        out.port = static_cast<std::uint16_t>(*n);
    }
    return out;
}

std::string_view to_string(TransportError kind) {
    switch (kind) {
        case TransportError::resolve: return "resolve";
        case TransportError::connect: return "connect";
        case TransportError::timeout: return "timeout";
        case TransportError::tls: return "tls";
        case TransportError::reset: return "reset";
        case TransportError::protocol: return "protocol";
    }
    return "unknown";
}

namespace {

// One connection with its own io_context, driven only by the thread that holds it.
struct Connection {
    asio::io_context ioc;
    std::optional<beast::tcp_stream> plain;
    std::optional<beast::ssl_stream<beast::tcp_stream>> secure;
    beast::flat_buffer buffer;

    beast::tcp_stream& lowest() { return secure ? beast::get_lowest_layer(*secure) : *plain; }

    // Runs the queued asynchronous operation to completion on this thread.
    void run() {
        ioc.restart();
        ioc.run();
    }
};

TransportError classify(const beast::error_code& ec) {
    if (ec == beast::error::timeout) return TransportError::timeout;
    if (ec == asio::error::connection_reset || ec == asio::error::eof || ec == asio::error::broken_pipe ||
        ec == bhttp::error::end_of_stream || ec == asio::ssl::error::stream_truncated)
        return TransportError::reset;
    if (ec.category() == asio::error::get_ssl_category()) return TransportError::tls;
    return TransportError::protocol;
}

}  // namespace

struct Client::Impl {
    ClientOptions options;
    ssl::context tls{ssl::context::tls_client};
    std::mutex mutex;
    std::map<std::string, std::vector<std::unique_ptr<Connection>>> idle;
    std::atomic<std::size_t> opened{0};

    std::unique_ptr<Connection> take(const std::string& key) {
        std::lock_guard lock(mutex);
        auto it = idle.find(key);
        if (it == idle.end() || it->second.empty()) return nullptr;
        auto c = std::move(it->second.back());
        it->second.pop_back();
        return c;
    }

    void give_back(const std::string& key, std::unique_ptr<Connection> c) {
        std::lock_guard lock(mutex);
        auto& v = idle[key];
        if (v.size() < options.max_idle_per_origin) v.push_back(std::move(c));
    }

    std::unique_ptr<Connection> open(const Url& url) {
        auto c = std::make_unique<Connection>();
        beast::error_code ec;
        tcp::resolver::results_type endpoints;
        try {
            endpoints = resolve(*c, url);
        } catch (const transport_error&) {
            // A lookup that timed out goes on in Asio's resolver thread, which the io_context's
            // destructor joins: let a thread of its own wait for that, so this caller returns now.
            std::thread([doomed = std::move(c)] {}).detach();
            throw;
        }
        if (url.tls()) {
            c->secure.emplace(c->ioc, tls);
            auto* native = c->secure->native_handle();
            // SNI, and host-name checking inside OpenSSL's chain verification.
            SSL_set_tlsext_host_name(native, url.host.c_str());
            if (options.verify_peer) {
                SSL_set1_host(native, url.host.c_str());
                c->secure->set_verify_mode(ssl::verify_peer);
            } else {
                c->secure->set_verify_mode(ssl::verify_none);
            }
        } else {
            c->plain.emplace(c->ioc);
        }
        auto& low = c->lowest();
        low.expires_after(options.connect_timeout);
        low.async_connect(endpoints, [&](beast::error_code e, const tcp::endpoint&) { ec = e; });
        c->run();
        if (ec)
            throw transport_error(ec == beast::error::timeout ? TransportError::timeout : TransportError::connect,
                                  "cannot connect to " + url.origin() + ": " + ec.message());
        low.socket().set_option(tcp::no_delay(true), ec);
        if (c->secure) {
            low.expires_after(options.connect_timeout);
            c->secure->async_handshake(ssl::stream_base::client, [&](beast::error_code e) { ec = e; });
            c->run();
            if (ec)
                throw transport_error(ec == beast::error::timeout ? TransportError::timeout : TransportError::tls,
                                      "TLS handshake with " + url.origin() + " failed: " + ec.message());
        }
        ++opened;
        return c;
    }

    // The addresses of url.host, within options.resolve_timeout: getaddrinfo has no timeout of its
    // own, and a DNS server that never answers must not hold the caller.
    tcp::resolver::results_type resolve(Connection& c, const Url& url) {
        tcp::resolver resolver(c.ioc);
        asio::steady_timer deadline(c.ioc);
        beast::error_code ec;
        bool timed_out = false;
        tcp::resolver::results_type results;
        deadline.expires_after(options.resolve_timeout);
        deadline.async_wait([&](beast::error_code e) {
            if (e) return;  // cancelled: the resolve finished first
            timed_out = true;
            // Cancelling would wait for getaddrinfo to return; stopping the loop does not. The
            // pending handler is destroyed, never run, with the io_context.
            c.ioc.stop();
        });
        resolver.async_resolve(url.host, std::to_string(url.port),
                               [&](beast::error_code e, tcp::resolver::results_type r) {
                                   ec = e;
                                   results = std::move(r);
                                   deadline.cancel();
                               });
        c.run();
        if (timed_out) {
            throw transport_error(TransportError::resolve, "resolving " + url.host + " took longer than " +
                                                               std::to_string(options.resolve_timeout.count()) + " ms");
        }
        if (ec) throw transport_error(TransportError::resolve, "cannot resolve " + url.host + ": " + ec.message());
        return results;
    }

    // Sends on `c`; returns the response or the error. `got_bytes` tells whether anything came back.
    beast::error_code exchange(Connection& c, bhttp::request<bhttp::string_body>& req,
                               bhttp::response_parser<bhttp::string_body>& parser) {
        beast::error_code ec;
        c.lowest().expires_after(options.read_timeout);
        if (c.secure) bhttp::async_write(*c.secure, req, [&](beast::error_code e, std::size_t) { ec = e; });
        else bhttp::async_write(*c.plain, req, [&](beast::error_code e, std::size_t) { ec = e; });
        c.run();
        if (ec) return ec;
        if (c.secure) bhttp::async_read(*c.secure, c.buffer, parser, [&](beast::error_code e, std::size_t) { ec = e; });
        else bhttp::async_read(*c.plain, c.buffer, parser, [&](beast::error_code e, std::size_t) { ec = e; });
        c.run();
        return ec;
    }
};

Client::Client(ClientOptions options) : impl_(std::make_unique<Impl>()) {
    impl_->options = std::move(options);
    impl_->tls.set_default_verify_paths();
    if (!impl_->options.ca_file.empty()) impl_->tls.load_verify_file(impl_->options.ca_file);
    impl_->tls.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                           ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
}

Client::~Client() = default;

std::size_t Client::connections_opened() const { return impl_->opened.load(); }

ClientResponse Client::request(std::string_view method, std::string_view url_text, const Headers& headers,
                               std::string_view body) {
    auto url = parse_url(url_text);
    if (!url) throw transport_error(TransportError::protocol, "not an http(s) URL: " + std::string(url_text));
    std::string key = url->origin();

    bhttp::request<bhttp::string_body> req{bhttp::string_to_verb(method), url->target, 11};
    if (req.method() == bhttp::verb::unknown) req.method_string(method);
    req.set(bhttp::field::host, url->authority());
    req.set(bhttp::field::user_agent, impl_->options.user_agent);
    for (const auto& [k, v] : headers.fields()) req.set(k, v);
    req.body() = std::string(body);
    req.keep_alive(true);
    req.prepare_payload();

    // A pooled connection may have been closed by the server while idle; such a failure before any
    // byte of the answer is retried once on a fresh connection.
    for (int attempt = 0;; ++attempt) {
        auto conn = impl_->take(key);
        bool reused = conn != nullptr;
        if (!conn) conn = impl_->open(*url);
        bhttp::response_parser<bhttp::string_body> parser;
        parser.body_limit(impl_->options.max_body_bytes);
        auto ec = impl_->exchange(*conn, req, parser);
        if (ec) {
            bool nothing_came = !parser.got_some();
            if (reused && nothing_came && attempt == 0 && ec != beast::error::timeout) continue;
            throw transport_error(classify(ec), std::string(method) + " " + url->origin() + url->target.substr(0, url->target.find('?')) +
                                                    ": " + ec.message());
        }
        auto& res = parser.get();
        ClientResponse out;
        out.status = static_cast<int>(res.result_int());
        for (const auto& field : res) out.headers.add(field.name_string(), field.value());
        out.body = std::move(res.body());
        if (res.keep_alive()) impl_->give_back(key, std::move(conn));
        return out;
    }
}

}  // namespace oura::http
