// The only translation unit that compiles Beast's server side.
#include "oura/http/server.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <cstdio>
#include <condition_variable>
#include <future>
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
    // Before ioc: coroutine frames the io_context destroys at the end still count themselves out.
    std::atomic<int> in_flight{0};
    std::mutex sockets_mutex;  // also orders "request taken" against stop_accepting's sweep
    std::set<tcp::socket*> idle_sockets;  // connections waiting for a request; closed at stop
    std::condition_variable idle_cv;      // signalled (under sockets_mutex) when in_flight drops
    asio::io_context ioc;
    tcp::acceptor acceptor{ioc};
    // Keeps the I/O threads running once the listener is closed and the last connection gone, so
    // stop_accepting() and stop() can still post to them.
    asio::executor_work_guard<asio::io_context::executor_type> keep_running{ioc.get_executor()};
    std::atomic<bool> listener_closed{false};
    std::uint16_t bound_port = 0;  // kept: the acceptor forgets it once closed
    std::vector<std::thread> threads;
    // Declared after ioc: destroyed (joined) first, while the io_context its completions go to exists.
    std::unique_ptr<asio::thread_pool> handler_pool;
    std::unique_ptr<asio::thread_pool> stream_pool;
    std::atomic<bool> stopping{false};
    bool started = false;
    bool stopped = false;

    asio::awaitable<void> listen();
    asio::awaitable<void> session(tcp::socket socket);
    asio::awaitable<Response> run_handler(Request& request) { co_return call_handler(request); }
    Response call_handler(Request& request);
    asio::awaitable<bool> run_stream(beast::tcp_stream& stream, Response& response);
    static asio::awaitable<void> produce(StreamProducer& producer, StreamSink& sink) {
        try {
            producer(sink);
        } catch (const std::exception&) {
            // The headers are gone already: the client sees the body end without its last chunk.
        }
        co_return;
    }
    void close_listener();
    void request_done() {
        std::lock_guard lock(sockets_mutex);
        --in_flight;
        idle_cv.notify_all();
    }

    // Counts a request from the moment it is read until its answer is written (or the connection
    // dropped), so a drain waits for the bytes to leave, not just for the handler to return.
    struct InFlightGuard {
        Impl* impl = nullptr;
        InFlightGuard() = default;
        InFlightGuard(const InFlightGuard&) = delete;
        InFlightGuard& operator=(const InFlightGuard&) = delete;
        ~InFlightGuard() {
            if (impl) impl->request_done();
        }
    };
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

// One chunk of a chunked body: size in hex, CRLF, the bytes, CRLF.
std::string chunk_frame(std::string_view data) {
    char size[24];
    int n = std::snprintf(size, sizeof size, "%zx\r\n", data.size());
    std::string out(size, static_cast<std::size_t>(n));
    out.append(data);
    out.append("\r\n");
    return out;
}

// The sink a producer writes through: each chunk is handed to the I/O threads and waited for, so
// only one chunk per stream is ever buffered.
class ChunkSink final : public StreamSink {
public:
    ChunkSink(beast::tcp_stream& stream, const std::atomic<bool>& stopping, std::chrono::milliseconds timeout,
              const asio::io_context& ioc)
        : stream_(stream), stopping_(stopping), timeout_(timeout), ioc_(ioc) {}
    bool write(std::string_view chunk) override {
        if (failed_) return false;
        if (chunk.empty()) return true;
        auto frame = std::make_shared<std::string>(chunk_frame(chunk));
        auto done = std::make_shared<std::promise<beast::error_code>>();
        auto result = done->get_future();
        asio::post(stream_.get_executor(), [this, frame, done] {
            stream_.expires_after(timeout_);
            asio::async_write(stream_, asio::buffer(*frame),
                              [frame, done](beast::error_code ec, std::size_t) { done->set_value(ec); });
        });
        // The I/O threads stop after a shutdown's drain: a write they will never run must not hold
        // this thread (the server joins it).
        while (result.wait_for(std::chrono::milliseconds(100)) != std::future_status::ready) {
            if (ioc_.stopped()) {
                failed_ = true;
                return false;
            }
        }
        if (result.get()) failed_ = true;
        return !failed_;
    }
    bool open() const override { return !failed_ && !stopping_; }

private:
    beast::tcp_stream& stream_;
    const std::atomic<bool>& stopping_;
    std::chrono::milliseconds timeout_;
    const asio::io_context& ioc_;
    bool failed_ = false;
};

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

// Headers with chunked encoding, the producer's chunks (on a stream thread), the last chunk. True
// when the whole body went out.
asio::awaitable<bool> Server::Impl::run_stream(beast::tcp_stream& stream, Response& response) {
    std::string head = "HTTP/1.1 " + std::to_string(response.status) + " " + std::string(reason(response.status)) + "\r\n";
    for (const auto& [k, v] : response.headers.fields()) head += k + ": " + v + "\r\n";
    head += "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
    beast::error_code ec;
    stream.expires_after(options.stream_write_timeout);
    co_await asio::async_write(stream, asio::buffer(head), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return false;
    ChunkSink sink(stream, stopping, options.stream_write_timeout, ioc);
    auto producer = std::move(response.stream);
    co_await asio::co_spawn(stream_pool->get_executor(), produce(producer, sink), asio::use_awaitable);
    if (!sink.open() && !stopping) co_return false;
    static constexpr std::string_view last_chunk = "0\r\n\r\n";
    stream.expires_after(options.stream_write_timeout);
    co_await asio::async_write(stream, asio::buffer(last_chunk.data(), last_chunk.size()),
                               asio::redirect_error(asio::use_awaitable, ec));
    co_return !ec;
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
        InFlightGuard counted;
        {
            std::lock_guard lock(sockets_mutex);
            idle_sockets.erase(raw);
            if (!ec) {
                ++in_flight;
                counted.impl = this;
            }
        }
        first = false;
        Response response;
        bool keep_alive = false;
        unsigned version = 11;
        if (ec == bhttp::error::body_limit) {
            response = simple_error(413, "request body too large");
            if (options.on_refused) options.on_refused(413, std::string_view(parser.get().target()));
        } else if (ec == bhttp::error::header_limit) {
            response = simple_error(431, "request header too large");
            if (options.on_refused) options.on_refused(431, {});
        } else if (ec) {
            break;  // closed, timed out or garbage: nothing to answer
        } else {
            auto& req = parser.get();
            version = req.version();
            keep_alive = req.keep_alive();
            Request request = to_request(req, stream.socket());
            request.received = std::chrono::steady_clock::now();
            if (handler_pool) {
                // The session waits here without holding an I/O thread; it resumes on one.
                response = co_await asio::co_spawn(handler_pool->get_executor(), run_handler(request),
                                                   asio::use_awaitable);
            } else {
                response = call_handler(request);
            }
            if (response.delay.count() > 0) {
                asio::steady_timer timer(ioc, response.delay);
                co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
            }
        }
        if (response.fault == Fault::reset) {
            beast::error_code ignored;
            stream.socket().set_option(asio::socket_base::linger(true, 0), ignored);
            stream.socket().close(ignored);
            co_return;
        }
        if (response.stream) {
            co_await run_stream(stream, response);
            break;
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
    impl_->bound_port = impl_->acceptor.local_endpoint().port();
}

Server::~Server() { stop(std::chrono::seconds(2)); }

std::uint16_t Server::port() const { return impl_->bound_port; }

int Server::in_flight() const { return impl_->in_flight.load(); }

void Server::start() {
    if (impl_->started) return;
    impl_->started = true;
    if (impl_->options.handler_threads > 0)
        impl_->handler_pool = std::make_unique<asio::thread_pool>(impl_->options.handler_threads);
    impl_->stream_pool = std::make_unique<asio::thread_pool>(std::max(1, impl_->options.stream_threads));
    asio::co_spawn(impl_->ioc, impl_->listen(), asio::detached);
    int n = std::max(1, impl_->options.threads);
    for (int i = 0; i < n; ++i) impl_->threads.emplace_back([impl = impl_] { impl->ioc.run(); });
}

void Server::Impl::close_listener() {
    beast::error_code ignored;
    acceptor.close(ignored);
    std::lock_guard lock(sockets_mutex);
    for (auto* s : idle_sockets) s->cancel(ignored);
}

void Server::stop_accepting() {
    if (impl_->stopped || impl_->listener_closed.exchange(true)) return;
    impl_->stopping = true;
    if (!impl_->started) {
        impl_->close_listener();
        return;
    }
    // The acceptor belongs to the I/O threads; close it there and wait, so that on return a new
    // connection is refused for certain.
    std::promise<void> closed;
    auto done = closed.get_future();
    asio::post(impl_->ioc, [impl = impl_.get(), &closed] {
        impl->close_listener();
        closed.set_value();
    });
    done.wait();
}

bool Server::wait_idle(std::chrono::milliseconds timeout) {
    std::unique_lock lock(impl_->sockets_mutex);
    return impl_->idle_cv.wait_for(lock, timeout, [&] { return impl_->in_flight.load() == 0; });
}

void Server::stop(std::chrono::milliseconds drain) {
    if (impl_->stopped) return;
    stop_accepting();
    impl_->stopped = true;
    wait_idle(drain);
    impl_->keep_running.reset();
    impl_->ioc.stop();
    for (auto& t : impl_->threads)
        if (t.joinable()) t.join();
    if (impl_->stream_pool) {
        impl_->stream_pool->stop();
        impl_->stream_pool->join();
    }
    if (impl_->handler_pool) {
        // Handlers not yet started are dropped; running ones cannot be interrupted, only awaited.
        impl_->handler_pool->stop();
        impl_->handler_pool->join();
    }
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
