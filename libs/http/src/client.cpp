// The only translation unit that compiles Beast's client side and Asio's TLS.
#include "oura/http/client.hpp"

#include <openssl/ssl.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <atomic>
#include <charconv>
#include <map>
#include <mutex>
#include <vector>

namespace oura::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;

std::string Url::origin() const {
    bool default_port = (scheme == "http" && port == 80) || (scheme == "https" && port == 443);
    return scheme + "://" + host + (default_port ? "" : ":" + std::to_string(port));
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
    auto colon = authority.rfind(':');
    if (colon != std::string_view::npos && authority.find(']') == std::string_view::npos) {
        unsigned port = 0;
        auto p = authority.substr(colon + 1);
        auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), port);
        if (ec != std::errc{} || end != p.data() + p.size() || port == 0 || port > 65535) return std::nullopt;
        out.port = static_cast<std::uint16_t>(port);
        out.host = std::string(authority.substr(0, colon));
    } else {
        out.host = std::string(authority);
        out.port = out.tls() ? 443 : 80;
    }
    if (out.host.empty()) return std::nullopt;
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
        tcp::resolver resolver(c->ioc);
        auto endpoints = resolver.resolve(url.host, std::to_string(url.port), ec);
        if (ec) throw transport_error(TransportError::resolve, "cannot resolve " + url.host + ": " + ec.message());
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
    bool default_port = (url->tls() && url->port == 443) || (!url->tls() && url->port == 80);
    req.set(bhttp::field::host, default_port ? url->host : url->host + ":" + std::to_string(url->port));
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
