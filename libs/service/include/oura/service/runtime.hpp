#pragma once
// What every long-running daemon shares (DESIGN §3): settings checked at start, the HTTP server
// with handlers on a pool apart from its I/O threads, /healthz /readyz /metrics, request metrics
// by route and status, and SIGTERM → stop accepting, drain requests and background workers within
// a grace period, exit. A daemon adds its routes and workers, then calls run().

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "oura/core/config.hpp"
#include "oura/core/log.hpp"
#include "oura/core/signals.hpp"
#include "oura/http/server.hpp"
#include "oura/metrics/http_metrics.hpp"
#include "oura/metrics/registry.hpp"
#include "oura/service/router.hpp"

namespace oura::service {

struct Settings {
    std::string service;                    // the name in logs
    std::string database_url;               // OURA_DATABASE_URL (required): what /readyz checks
    std::string http_address = "0.0.0.0";   // OURA_HTTP_ADDRESS
    std::uint16_t http_port = 8080;         // OURA_HTTP_PORT; 0 picks a free port (tests)
    int io_threads = 2;                     // OURA_HTTP_IO_THREADS
    int handler_threads = 8;                // OURA_HTTP_HANDLER_THREADS
    int stream_threads = 8;                 // OURA_HTTP_STREAM_THREADS: streamed bodies at once (SSE, exports)
    std::chrono::milliseconds shutdown_grace{std::chrono::seconds(25)};  // OURA_SHUTDOWN_GRACE_SECONDS
    // Limits against slow or oversized clients (http::ServerOptions). A daemon with a smaller
    // body (the webhook edge: 64 KiB) sets its own before constructing the runtime.
    std::size_t max_body_bytes = 1024 * 1024;
    std::size_t max_header_bytes = 16 * 1024;
    std::chrono::milliseconds read_timeout{std::chrono::seconds(30)};  // OURA_HTTP_READ_TIMEOUT
    std::chrono::milliseconds idle_timeout{std::chrono::seconds(60)};  // OURA_HTTP_IDLE_TIMEOUT
};

// Reads the runtime's variables from `env`; throws core::config_error naming the variable and
// what is wrong (the daemon's main turns it into one line and exit code 2).
Settings load_settings(const core::Env& env, std::string service);

// One background worker: runs on its own thread and must return soon after `stop` is requested.
using WorkerBody = std::function<void(std::stop_token stop)>;

class Runtime {
public:
    // Binds the port (throws core::startup_error naming OURA_HTTP_PORT when it cannot) and routes
    // /healthz, /readyz and /metrics. `log` must outlive the runtime.
    Runtime(Settings settings, const core::Logger& log);
    ~Runtime();  // shuts down first if still running
    Runtime(const Runtime&) = delete;
    Runtime& operator=(const Runtime&) = delete;

    Router& router() { return router_; }                    // add routes before start()
    metrics::Registry& registry() { return registry_; }     // register the daemon's own families here
    const core::Logger& log() const { return log_; }
    const Settings& settings() const { return settings_; }
    std::uint16_t port() const;                             // the bound port (useful with port 0)

    // Registers a worker started by start(); shutdown() signals its stop_token and waits for it.
    // An exception escaping it is logged and turns the exit code into 1.
    void add_worker(std::string name, WorkerBody body);  // before start()
    // Text in the exposition format appended to /metrics after the registry's families (gauges a
    // daemon computes on scrape, e.g. from the database). Must not throw; before start().
    void add_metrics_source(std::function<std::string()> source);
    // Runs before routing on every request (rate limits, CORS preflight): a response it returns is
    // the answer and the route never runs. Must be thread-safe; before start().
    void set_request_filter(std::function<std::optional<http::Response>(const http::Request&)> filter);
    // Runs on every answer, the runtime's own routes included (security headers, CORS). Before start().
    void set_response_filter(std::function<void(const http::Request&, http::Response&)> filter);
    // Told about each request the server's limits refused before routing (413, 431), with the
    // target when known; runs on an I/O thread and must not block. Set before start().
    void on_refused(std::function<void(int status, std::string_view target)> hook) { refused_hook_ = std::move(hook); }

    void start();  // serves and starts the workers; returns at once; idempotent
    // Stops accepting (new connections are refused), signals the workers, and waits up to the grace
    // for requests in flight and workers. 0 when everything finished in time and no worker failed,
    // 1 otherwise. Idempotent (returns the first result).
    int shutdown();
    // start(), wait for SIGTERM or SIGINT, shutdown(). When the grace passes with work still
    // running, the process exits at once with 1: a stuck handler must not hold it past the deadline.
    int run(const core::ShutdownSignals& signals);

private:
    http::Response handle(const http::Request& request);
    http::Response readiness() const;
    bool wait_workers(std::chrono::steady_clock::time_point deadline);

    Settings settings_;
    const core::Logger& log_;
    std::string expected_migration_;
    metrics::Registry registry_;
    metrics::HttpMetrics http_metrics_;
    Router router_;
    struct Worker {
        std::string name;
        WorkerBody body;
    };
    std::vector<Worker> workers_;
    std::vector<std::function<std::string()>> metrics_sources_;
    std::function<std::optional<http::Response>(const http::Request&)> request_filter_;
    std::function<void(const http::Request&, http::Response&)> response_filter_;
    std::stop_source stop_;
    std::mutex workers_mutex_;
    std::condition_variable workers_done_;
    int workers_running_ = 0;
    bool worker_failed_ = false;
    std::vector<std::thread> worker_threads_;
    bool started_ = false;
    std::optional<int> shutdown_result_;
    std::function<void(int, std::string_view)> refused_hook_;
    // Last: destroyed first, so no handler runs while the members above go away.
    std::unique_ptr<http::Server> server_;
};

}  // namespace oura::service
