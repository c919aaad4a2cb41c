#pragma once
// The HTTP server every service and the simulator use: a pure handler maps a Request to a
// Response; sessions own reading, writing and timeouts; the listener owns accepting.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "oura/http/message.hpp"

namespace oura::http {

// Called on an I/O thread, or on the handler pool when ServerOptions::handler_threads > 0; may
// block (it holds that thread only). An exception becomes a 500 with a JSON error body and is never
// shown to the client in detail.
using Handler = std::function<Response(const Request&)>;

struct ServerOptions {
    std::string address = "127.0.0.1";
    std::uint16_t port = 0;  // 0 picks a free port; port() tells which
    int threads = 2;          // I/O threads: accept, read, write
    // Threads that run the handler, apart from the I/O threads, so a slow handler (a database
    // query, an export) never stalls reading and writing on other connections. 0 runs handlers on
    // the I/O threads (the simulator, whose handlers never block).
    int handler_threads = 0;
    // Threads that run streamed bodies (Response::stream: event streams, exports), one per stream
    // at a time; further streams wait for one. The service limits how many it starts.
    int stream_threads = 4;
    std::chrono::milliseconds stream_write_timeout{30000};  // a streamed chunk not taken this long ends the stream
    std::size_t max_body_bytes = 1024 * 1024;      // larger requests get 413 and the connection closes
    std::size_t max_header_bytes = 16 * 1024;
    std::chrono::milliseconds read_timeout{30000};  // a client silent this long is dropped (slowloris)
    std::chrono::milliseconds idle_timeout{60000};  // keep-alive connections idle this long are closed
    // Told (on an I/O thread) about each request refused by the limits above before any handler
    // saw it: 413 (body) or 431 (header), with the target when its header was read. Must not block.
    std::function<void(int status, std::string_view target)> on_refused;
};

class Server {
public:
    Server(ServerOptions options, Handler handler);  // binds and listens; throws std::system_error
    ~Server();                                       // stops with a short drain
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    std::uint16_t port() const;
    void start();  // serves on options.threads threads; returns at once
    // New connections are refused and idle keep-alive connections closed once this returns;
    // requests in flight go on and are answered with "Connection: close".
    void stop_accepting();
    // Waits up to `timeout` until no request is in flight; true when none is.
    bool wait_idle(std::chrono::milliseconds timeout);
    // Stops accepting, lets requests in flight finish for up to `drain`, then closes everything.
    // A handler still running on the handler pool after the drain is waited for (handlers return).
    void stop(std::chrono::milliseconds drain = std::chrono::seconds(10));
    int in_flight() const;  // requests read and not yet answered

private:
    struct Impl;
    std::shared_ptr<Impl> impl_;
};

}  // namespace oura::http
