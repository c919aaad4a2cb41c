#include "oura/service/runtime.hpp"

#include <cstdio>
#include <cstdlib>
#include <system_error>

#include "oura/core/cli.hpp"
#include "oura/core/json.hpp"
#include "oura/store/migrations.hpp"

namespace oura::service {

Settings load_settings(const core::Env& env, std::string service) {
    Settings s;
    s.service = std::move(service);
    s.database_url = env.require("OURA_DATABASE_URL");
    s.http_address = env.get_or("OURA_HTTP_ADDRESS", s.http_address);
    s.http_port = static_cast<std::uint16_t>(env.get_int("OURA_HTTP_PORT", s.http_port, 0, 65535));
    s.io_threads = static_cast<int>(env.get_int("OURA_HTTP_IO_THREADS", s.io_threads, 1, 64));
    s.handler_threads = static_cast<int>(env.get_int("OURA_HTTP_HANDLER_THREADS", s.handler_threads, 1, 256));
    s.stream_threads = static_cast<int>(env.get_int("OURA_HTTP_STREAM_THREADS", s.stream_threads, 1, 256));
    // Kubernetes sends SIGKILL terminationGracePeriodSeconds (default 30) after SIGTERM: 25 leaves
    // room for the process to exit on its own and say so in the log.
    s.shutdown_grace = std::chrono::seconds(env.get_int("OURA_SHUTDOWN_GRACE_SECONDS", 25, 0, 3600));
    s.read_timeout = env.get_duration("OURA_HTTP_READ_TIMEOUT", s.read_timeout);
    s.idle_timeout = env.get_duration("OURA_HTTP_IDLE_TIMEOUT", s.idle_timeout);
    if (s.read_timeout.count() <= 0) throw core::config_error("OURA_HTTP_READ_TIMEOUT must be longer than 0");
    if (s.idle_timeout.count() <= 0) throw core::config_error("OURA_HTTP_IDLE_TIMEOUT must be longer than 0");
    return s;
}

namespace {

http::ServerOptions server_options(const Settings& s) {
    http::ServerOptions o;
    o.address = s.http_address;
    o.port = s.http_port;
    o.threads = s.io_threads;
    o.handler_threads = s.handler_threads;
    o.stream_threads = s.stream_threads;
    o.max_body_bytes = s.max_body_bytes;
    o.max_header_bytes = s.max_header_bytes;
    o.read_timeout = s.read_timeout;
    o.idle_timeout = s.idle_timeout;
    return o;
}

std::string newest_embedded_migration() {
    auto files = store::embedded_migrations();
    return files.empty() ? std::string() : files.back().name;
}

std::string readiness_body(const store::SchemaReadiness& r) {
    core::JsonWriter w;
    w.begin_object().field("status", r.ready ? "ready" : "not ready");
    if (!r.ready) w.field("reason", r.reason);
    w.field("applied_migration", r.applied).field("expected_migration", r.expected).end_object();
    return w.take();
}

}  // namespace

Runtime::Runtime(Settings settings, const core::Logger& log)
    : settings_(std::move(settings)),
      log_(log),
      expected_migration_(newest_embedded_migration()),
      http_metrics_(registry_) {
    router_.add("GET", "/healthz", [](const http::Request&, const PathParams&) {
        return http::json_response(200, R"({"status":"alive"})");
    });
    router_.add("GET", "/readyz", [this](const http::Request&, const PathParams&) { return readiness(); });
    router_.add("GET", "/metrics", [this](const http::Request&, const PathParams&) {
        auto text = metrics::serialize(registry_);
        for (const auto& source : metrics_sources_) text += source();
        return http::text_response(200, std::move(text), metrics::content_type);
    });
    try {
        auto options = server_options(settings_);
        options.on_refused = [this](int status, std::string_view target) {
            http_metrics_.observe(unmatched_route, status, 0.0);
            if (refused_hook_) refused_hook_(status, target);
        };
        server_ = std::make_unique<http::Server>(std::move(options),
                                                 [this](const http::Request& r) { return handle(r); });
    } catch (const std::exception& e) {
        throw core::startup_error("cannot listen on " + settings_.http_address + ":" +
                                  std::to_string(settings_.http_port) + " (OURA_HTTP_ADDRESS, OURA_HTTP_PORT): " +
                                  e.what());
    }
}

Runtime::~Runtime() {
    shutdown();
    for (auto& t : worker_threads_)
        if (t.joinable()) t.join();
}

std::uint16_t Runtime::port() const { return server_->port(); }

void Runtime::add_metrics_source(std::function<std::string()> source) { metrics_sources_.push_back(std::move(source)); }

void Runtime::add_worker(std::string name, WorkerBody body) {
    workers_.push_back({std::move(name), std::move(body)});
}

http::Response Runtime::readiness() const {
    auto r = store::schema_readiness(settings_.database_url, expected_migration_);
    if (!r.ready) log_.warn("not ready", {{"reason", r.reason}});
    return http::json_response(r.ready ? 200 : 503, readiness_body(r));
}

void Runtime::set_request_filter(std::function<std::optional<http::Response>(const http::Request&)> filter) {
    request_filter_ = std::move(filter);
}

void Runtime::set_response_filter(std::function<void(const http::Request&, http::Response&)> filter) {
    response_filter_ = std::move(filter);
}

http::Response Runtime::handle(const http::Request& request) {
    Routed routed;
    std::optional<http::Response> early;
    if (request_filter_) early = request_filter_(request);
    if (early) {
        routed.response = std::move(*early);
        routed.route = "filtered";
    } else {
        routed = router_.dispatch(request);
    }
    if (response_filter_) response_filter_(request, routed.response);
    if (!routed.error.empty())
        log_.error("handler failed", {{"route", routed.route}, {"method", request.method}, {"error", routed.error}});
    double seconds = 0;
    if (request.received != std::chrono::steady_clock::time_point{})
        seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - request.received).count();
    http_metrics_.observe(routed.route, routed.response.status, seconds);
    return std::move(routed.response);
}

void Runtime::start() {
    if (started_) return;
    started_ = true;
    server_->start();
    {
        std::lock_guard lock(workers_mutex_);
        workers_running_ = static_cast<int>(workers_.size());
    }
    for (auto& worker : workers_) {
        worker_threads_.emplace_back([this, &worker, token = stop_.get_token()] {
            try {
                worker.body(token);
            } catch (const std::exception& e) {
                log_.error("worker failed", {{"worker", worker.name}, {"error", e.what()}});
                std::lock_guard lock(workers_mutex_);
                worker_failed_ = true;
            }
            std::lock_guard lock(workers_mutex_);
            --workers_running_;
            workers_done_.notify_all();
        });
    }
    log_.info("listening", {{"address", settings_.http_address},
                            {"port", port()},
                            {"io_threads", settings_.io_threads},
                            {"handler_threads", settings_.handler_threads},
                            {"workers", static_cast<std::int64_t>(workers_.size())}});
}

bool Runtime::wait_workers(std::chrono::steady_clock::time_point deadline) {
    std::unique_lock lock(workers_mutex_);
    return workers_done_.wait_until(lock, deadline, [&] { return workers_running_ == 0; });
}

int Runtime::shutdown() {
    if (shutdown_result_) return *shutdown_result_;
    if (!started_) {
        server_->stop(std::chrono::milliseconds(0));
        return *(shutdown_result_ = core::exit_ok);
    }
    auto deadline = std::chrono::steady_clock::now() + settings_.shutdown_grace;
    log_.info("shutting down", {{"grace_ms", static_cast<std::int64_t>(settings_.shutdown_grace.count())},
                                {"requests_in_flight", server_->in_flight()}});
    server_->stop_accepting();
    stop_.request_stop();
    bool requests_done =
        server_->wait_idle(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()));
    bool workers_done = wait_workers(deadline);
    if (!requests_done || !workers_done) {
        std::lock_guard lock(workers_mutex_);
        log_.error("shutdown grace passed with work still running",
                   {{"requests_in_flight", server_->in_flight()}, {"workers_running", workers_running_}});
        return *(shutdown_result_ = core::exit_failure);
    }
    server_->stop(std::chrono::milliseconds(0));
    for (auto& t : worker_threads_) t.join();
    worker_threads_.clear();
    bool failed = false;
    {
        std::lock_guard lock(workers_mutex_);
        failed = worker_failed_;
    }
    log_.info("stopped", {{"clean", !failed}});
    return *(shutdown_result_ = failed ? core::exit_failure : core::exit_ok);
}

int Runtime::run(const core::ShutdownSignals& signals) {
    start();
    int sig = signals.wait();
    log_.info("signal received", {{"signal", sig}});
    int code = shutdown();
    bool stuck = false;
    {
        std::lock_guard lock(workers_mutex_);
        stuck = workers_running_ > 0;
    }
    if (code != core::exit_ok && (stuck || server_->in_flight() > 0)) {
        // Destructors would wait for the stuck work; the deadline is the promise to the operator.
        std::fflush(nullptr);
        std::_Exit(core::exit_failure);
    }
    return code;
}

}  // namespace oura::service
