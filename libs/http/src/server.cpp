// The only translation unit that compiles Beast's server side.
#include "oura/http/server.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "oura/core/json.hpp"

namespace oura::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

struct Server::Impl {
    ServerOptions options;
    Handler handler;
    asio::io_context ioc;
    tcp::acceptor acceptor{ioc};
    std::vector<std::thread> threads;
    std::atomic<bool> stopping{false};
    std::atomic<int> in_flight{0};
    std::mutex sockets_mutex;
    std::set<tcp::socket*> idle_sockets;  // connections waiting for a request; closed at stop
    bool started = false;
    bool stopped = false;

    asio::awaitable<void> listen();
    asio::awaitable<void> session(tcp::socket socket);
    Response call_handler(Request& request);
};

namespace {

Request to_request(bhttp::request<bhttp::string_body>& req, const tcp::socket& socket) {
    Request out;
    out.method = std::string(req.method_string());
    out.target = std::string(req.target());
    for (const auto& field : req) out.headers.add(field.name_string(), field.value());
    out.body = std::move(req.body());
    beast::error_code ec;
    auto ep = socket.remote_endpoint(ec);
    if (!ec) out.remote = ep.address().to_string();
    return out;
}

bhttp::response<bhttp::string_body> to_beast(Response& res, unsigned version, bool keep_alive) {
    bhttp::response<bhttp::string_body> out{static_cast<bhttp::status>(res.status), version};
    for (const auto& [k, v] : res.headers.fields()) out.set(k, v);
    out.body() = std::move(res.body);
    out.keep_alive(keep_alive);
    out.prepare_payload();
    return out;
}

std::string raw_truncated(const Response& res) {
    std::string raw = "HTTP/1.1 " + std::to_string(res.status) + " " + std::string(reason(res.status)) + "\r\n";
    for (const auto& [k, v] : res.headers.fields()) raw += k + ": " + v + "\r\n";
    raw += "Content-Length: " + std::to_string(res.body.size()) + "\r\nConnection: close\r\n\r\n";
    raw += res.body.substr(0, res.body.size() / 2);
    return raw;
}

Response simple_error(int status, std::string_view message) {
    auto r = json_response(status, core::error_body(message));
    r.close = true;
    return r;
}

}  // namespace

Response Server::Impl::call_handler(Request& request) {
    try {
        return handler(request);
    } catch (const std::exception&) {
        return json_response(500, core::error_body("internal error"));
    }
}

// Coroutines and handlers refer to Impl by plain pointer: Impl owns the io_context that owns them,
// and its threads are joined before it is destroyed. A shared_ptr here would be a cycle (a leak).
asio::awaitable<void> Server::Impl::listen() {
    for (;;) {
        beast::error_code ec;
        tcp::socket socket = co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
        if (ec) {
            if (stopping || ec == asio::error::operation_aborted) co_return;
            continue;  // e.g. EMFILE: keep serving the connections we have
        }
        asio::co_spawn(ioc, session(std::move(socket)), asio::detached);
    }
}

asio::awaitable<void> Server::Impl::session(tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    bool first = true;
    for (;;) {
        if (stopping) break;
        bhttp::request_parser<bhttp::string_body> parser;
        parser.body_limit(options.max_body_bytes);
        parser.header_limit(static_cast<std::uint32_t>(options.max_header_bytes));
        beast::error_code ec;
        tcp::socket* raw = &stream.socket();
        {
            std::lock_guard lock(sockets_mutex);
            idle_sockets.insert(raw);
        }
        stream.expires_after(first ? options.read_timeout : options.idle_timeout);
        co_await bhttp::async_read_header(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
        if (!ec) {
            stream.expires_after(options.read_timeout);
            co_await bhttp::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
        }
        {
            std::lock_guard lock(sockets_mutex);
            idle_sockets.erase(raw);
        }
        first = false;
        Response response;
        bool keep_alive = false;
        unsigned version = 11;
        if (ec == bhttp::error::body_limit) {
            response = simple_error(413, "request body too large");
        } else if (ec == bhttp::error::header_limit) {
            response = simple_error(431, "request header too large");
        } else if (ec) {
            break;  // closed, timed out or garbage: nothing to answer
        } else {
            auto& req = parser.get();
            version = req.version();
            keep_alive = req.keep_alive();
            Request request = to_request(req, stream.socket());
            ++in_flight;
            response = call_handler(request);
            if (response.delay.count() > 0) {
                asio::steady_timer timer(ioc, response.delay);
                co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
            }
            --in_flight;
        }
        if (response.fault == Fault::reset) {
            beast::error_code ignored;
            stream.socket().set_option(asio::socket_base::linger(true, 0), ignored);
            stream.socket().close(ignored);
            co_return;
        }
        stream.expires_after(options.read_timeout);
        if (response.fault == Fault::truncate) {
            co_await asio::async_write(stream, asio::buffer(raw_truncated(response)),
                                       asio::redirect_error(asio::use_awaitable, ec));
            break;
        }
        keep_alive = keep_alive && !response.close && !stopping;
        auto out = to_beast(response, version, keep_alive);
        co_await bhttp::async_write(stream, out, asio::redirect_error(asio::use_awaitable, ec));
        if (ec || !keep_alive) break;
    }
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream.socket().close(ignored);
}

Server::Server(ServerOptions options, Handler handler) : impl_(std::make_shared<Impl>()) {
    impl_->options = std::move(options);
    impl_->handler = std::move(handler);
    tcp::endpoint ep(asio::ip::make_address(impl_->options.address), impl_->options.port);
    impl_->acceptor.open(ep.protocol());
    impl_->acceptor.set_option(asio::socket_base::reuse_address(true));
    impl_->acceptor.bind(ep);
    impl_->acceptor.listen(asio::socket_base::max_listen_connections);
}

Server::~Server() { stop(std::chrono::seconds(2)); }

std::uint16_t Server::port() const { return impl_->acceptor.local_endpoint().port(); }

int Server::in_flight() const { return impl_->in_flight.load(); }

void Server::start() {
    if (impl_->started) return;
    impl_->started = true;
    asio::co_spawn(impl_->ioc, impl_->listen(), asio::detached);
    int n = std::max(1, impl_->options.threads);
    for (int i = 0; i < n; ++i) impl_->threads.emplace_back([impl = impl_] { impl->ioc.run(); });
}

void Server::stop(std::chrono::milliseconds drain) {
    if (impl_->stopped) return;
    impl_->stopped = true;
    impl_->stopping = true;
    asio::post(impl_->ioc, [impl = impl_.get()] {
        beast::error_code ignored;
        impl->acceptor.close(ignored);
        std::lock_guard lock(impl->sockets_mutex);
        for (auto* s : impl->idle_sockets) s->cancel(ignored);
    });
    auto deadline = std::chrono::steady_clock::now() + drain;
    while (impl_->in_flight > 0 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    impl_->ioc.stop();
    for (auto& t : impl_->threads)
        if (t.joinable()) t.join();
    // Let what was cancelled finish on this thread, so no coroutine outlives the server.
    beast::error_code ignored;
    impl_->acceptor.close(ignored);
    {
        std::lock_guard lock(impl_->sockets_mutex);
        for (auto* s : impl_->idle_sockets) s->close(ignored);
    }
    impl_->ioc.restart();
    impl_->ioc.poll();
}

}  // namespace oura::http
