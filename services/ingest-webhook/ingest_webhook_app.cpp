#include "ingest_webhook_app.hpp"

#include <unistd.h>

#include <iostream>

#include "inbox_committer.hpp"
#include "oura/api/settings.hpp"
#include "oura/core/cli.hpp"
#include "oura/core/json.hpp"
#include "oura/core/text.hpp"
#include "oura/metrics/api_metrics.hpp"
#include "oura/metrics/webhook_metrics.hpp"
#include "oura/store/backfills.hpp"
#include "oura/store/budget.hpp"
#include "oura/store/jobs.hpp"
#include "oura/store/webhooks.hpp"
#include "oura/sync/request_budget.hpp"
#include "oura/sync/token_provider.hpp"
#include "oura/sync/webhook_processor.hpp"

namespace oura::ingest_webhook {
namespace {

core::CommandLine command_line() {
    return core::CommandLine(
        "ingest-webhook",
        "The public edge: Oura's webhook deliveries (GET/POST /webhook/oura), verified and committed to the\n"
        "inbox with their job before the 2xx; a job consumer that fetches each delivered document and\n"
        "writes it; and the OAuth connect flow (GET /oauth/start with an admin token, GET /oauth/callback).\n"
        "Also /healthz, /readyz, /metrics. Runs until SIGTERM, then drains.",
        {},
        "Environment (see docs/configuration.md):\n"
        "  OURA_DATABASE_URL                  libpq URI (required)\n"
        "  OURA_WEBHOOK_VERIFICATION_TOKEN    the token Oura's subscription handshake sends (required)\n"
        "  OURA_CLIENT_ID, OURA_CLIENT_SECRET the Oura application (required; the secret signs deliveries)\n"
        "  OURA_WEBHOOK_PREVIOUS_SECRETS      former client secrets still accepted on deliveries (rotation)\n"
        "  OURA_WEBHOOK_TIMESTAMP_TOLERANCE   accepted clock difference of x-oura-timestamp (default 300s)\n"
        "  OURA_WEBHOOK_WORKERS               job consumer threads (default 2; 0: receive only)\n"
        "  OURA_WEBHOOK_COMMITTERS            group-commit threads (default 2)\n"
        "  OURA_TOKEN_ENCRYPTION_KEY(S)       seals OAuth tokens (required)\n"
        "  OURA_OAUTH_REDIRECT_URI            public URL of /oauth/callback (OAuth routes answer 503 without)\n"
        "  OURA_OAUTH_SCOPES, OURA_QUERY_ADMIN_TOKENS (who may call /oauth/start)\n"
        "  OURA_HTTP_PORT (default 8080), OURA_HTTP_HANDLER_THREADS (default 64 here), OURA_LOG_LEVEL\n"
        "  Every variable may instead be given as NAME_FILE (a mounted secret).");
}

std::string_view to_label(CommitResult r) {
    switch (r) {
        case CommitResult::accepted: return "accepted";
        case CommitResult::duplicate: return "duplicate";
        case CommitResult::unknown_user: return "unknown_user";
        case CommitResult::rejected: return "malformed";
        case CommitResult::unavailable: return "unavailable";
    }
    return "unavailable";
}

http::Response json_error(int status, std::string_view message) {
    return http::json_response(status, core::error_body(message));
}

}  // namespace

std::optional<Settings> load_settings(const core::Env& env, int argc, char** argv) {
    auto cli = command_line();
    cli.parse(argc, argv);
    if (cli.help_requested()) {
        std::cout << cli.help();
        return std::nullopt;
    }
    if (!cli.positional().empty()) throw core::usage_error("unexpected argument '" + cli.positional()[0] + "'");
    Settings s;
    s.runtime = service::load_settings(env, "ingest-webhook");
    // Each delivery holds a handler thread until its group commit ends: enough of them for Oura's
    // concurrency is what lets many share one commit.
    if (!env.get("OURA_HTTP_HANDLER_THREADS")) s.runtime.handler_threads = 64;
    s.runtime.max_body_bytes = max_webhook_body;
    s.runtime.max_header_bytes = max_webhook_header;
    s.api = api::options_from_env(env, /*require_client=*/true);
    s.verification_token = env.require("OURA_WEBHOOK_VERIFICATION_TOKEN");
    if (s.verification_token.size() < 16)
        throw core::config_error("OURA_WEBHOOK_VERIFICATION_TOKEN must be at least 16 characters");
    s.secrets.push_back(s.api.client_secret);
    for (auto& old : core::split_list(env.get_or("OURA_WEBHOOK_PREVIOUS_SECRETS", ""), ", \n"))
        if (!old.empty()) s.secrets.push_back(old);
    auto tolerance = env.get_duration("OURA_WEBHOOK_TIMESTAMP_TOLERANCE", std::chrono::seconds(300));
    if (tolerance < std::chrono::seconds(1) || tolerance > std::chrono::hours(1))
        throw core::config_error("OURA_WEBHOOK_TIMESTAMP_TOLERANCE must be between 1s and 1h");
    s.timestamp_tolerance = std::chrono::duration_cast<std::chrono::seconds>(tolerance);
    s.workers = static_cast<int>(env.get_int("OURA_WEBHOOK_WORKERS", 2, 0, 64));
    s.job_lease = env.get_duration("OURA_WEBHOOK_JOB_LEASE", s.job_lease);
    if (s.job_lease < std::chrono::seconds(1)) throw core::config_error("OURA_WEBHOOK_JOB_LEASE must be at least 1s");
    s.committers = static_cast<int>(env.get_int("OURA_WEBHOOK_COMMITTERS", 2, 1, 16));
    s.budget_requests = env.get_int("OURA_API_BUDGET_REQUESTS", s.budget_requests, 0, 1000000);
    s.budget_window = env.get_duration("OURA_API_BUDGET_WINDOW", s.budget_window);
    if (s.budget_requests > 0 && s.budget_window < std::chrono::seconds(1))
        throw core::config_error("OURA_API_BUDGET_WINDOW must be at least 1s");
    s.oauth = sync::oauth_settings_from_env(env);
    s.access = service::Access::from_env(env);
    s.cipher = store::TokenCipher::from_env(env);
    return s;
}

DeliveryCheck check_delivery(const std::vector<std::string>& secrets, std::chrono::seconds tolerance,
                             const http::Request& request, std::chrono::system_clock::time_point now) {
    DeliveryCheck c;
    auto timestamp = request.headers.get("x-oura-timestamp");
    auto signature = request.headers.get("x-oura-signature");
    if (!timestamp || !signature) {
        c.status = 401;
        c.outcome = "unauthorized";
        c.reason = "x-oura-timestamp or x-oura-signature missing";
        return c;
    }
    if (!api::verify_signature_any(secrets, *timestamp, request.body, *signature)) {
        c.status = 401;
        c.outcome = "unauthorized";
        c.reason = "signature does not match";
        return c;
    }
    // Checked after the signature, so only Oura (or a replay of it) learns that the clock mattered.
    if (!api::timestamp_fresh(*timestamp, now, tolerance)) {
        c.status = 401;
        c.outcome = "unauthorized";
        c.reason = "x-oura-timestamp outside the accepted window";
        return c;
    }
    c.event = api::parse_event(request.body);
    if (!c.event) {
        c.status = 400;
        c.outcome = "malformed";
        c.reason = "body is not a well-formed event";
    }
    return c;
}

struct App::Impl {
    Settings settings;
    const core::Logger& log;
    service::Runtime runtime;
    metrics::WebhookMetrics metrics{runtime.registry()};
    metrics::PrometheusApiMetrics api_metrics{runtime.registry()};
    store::Pool pool;
    std::shared_ptr<sync::SharedRequestBudget> budget;
    std::unique_ptr<api::OuraClient> client;
    std::unique_ptr<sync::TokenProvider> tokens;
    std::unique_ptr<sync::OAuthFlow> oauth;
    std::unique_ptr<InboxCommitter> committer;

    Impl(Settings s, const core::Logger& l)
        : settings(std::move(s)),
          log(l),
          runtime(settings.runtime, l),
          pool(settings.runtime.database_url, static_cast<std::size_t>(settings.workers) + 2) {
        auto api = settings.api;
        api.metrics = &api_metrics;
        // A long 429 pause is the job queue's to wait, not a consumer thread's.
        api.max_rate_wait = std::chrono::seconds(20);
        // Document fetches draw from the budget the backfill workers share, so webhooks and
        // history together stay inside Oura's per-application limit.
        if (settings.budget_requests > 0) {
            budget = std::make_shared<sync::SharedRequestBudget>(
                pool, store::budget_for_limit(settings.budget_requests, settings.budget_window), log);
            api.budget = budget;
        }
        client = std::make_unique<api::OuraClient>(api, log);
        tokens = std::make_unique<sync::TokenProvider>(pool, *settings.cipher, *client, log);
        oauth = std::make_unique<sync::OAuthFlow>(pool, *client, *settings.cipher, settings.oauth, log);
        // The history copy starts in the transaction that connects the account (once per user).
        oauth->on_connected([](store::Transaction& tx, long long user_id, int days) {
            store::ensure_initial_backfill(tx, user_id, days);
        });
        committer = std::make_unique<InboxCommitter>(settings.runtime.database_url, settings.committers, 256, log, &metrics);
        runtime.on_refused([this](int status, std::string_view target) {
            if (status == 413 && target.substr(0, target.find('?')) == "/webhook/oura") metrics.delivery("too_large");
        });
        add_routes();
        for (int i = 0; i < settings.workers; ++i)
            runtime.add_worker("webhook-consumer-" + std::to_string(i), [this, i](std::stop_token stop) { consume(i, stop); });
    }

    void add_routes() {
        auto& router = runtime.router();
        router.add("GET", "/webhook/oura", [this](const http::Request& r, const service::PathParams&) {
            auto answer = api::answer_verification(settings.verification_token, r.query("verification_token").value_or(""),
                                                   r.query("challenge").value_or(""));
            if (!answer) {
                log.warn("webhook verification refused: wrong token", {{"remote", r.remote}});
                return json_error(401, "verification token does not match");
            }
            log.info("webhook subscription verified");
            return http::json_response(200, *answer);
        });
        router.add("POST", "/webhook/oura", [this](const http::Request& r, const service::PathParams&) { return receive(r); });
        router.add("GET", "/oauth/start", [this](const http::Request& r, const service::PathParams&) {
            auto role = settings.access.role_of(r);
            if (role == service::Role::none) return service::unauthorized();
            if (role != service::Role::admin) return service::forbidden();
            return oauth->start(r.query("login_hint"));
        });
        router.add("GET", "/oauth/callback", [this](const http::Request& r, const service::PathParams&) {
            auto result = oauth->callback(r);
            metrics.oauth_callback(result.outcome);
            return std::move(result.response);
        });
    }

    http::Response receive(const http::Request& r) {
        auto check = check_delivery(settings.secrets, settings.timestamp_tolerance, r, std::chrono::system_clock::now());
        if (!check.outcome.empty()) {
            metrics.delivery(check.outcome);
            log.warn("webhook delivery refused", {{"status", check.status}, {"reason", check.reason}, {"remote", r.remote}});
            return json_error(check.status, check.status == 401 ? "unauthorized" : check.reason);
        }
        const auto& e = *check.event;
        auto result = committer->submit({e.event_type, e.data_type, e.object_id, e.event_time, e.user_id, r.body},
                                        settings.commit_timeout);
        metrics.delivery(to_label(result));
        switch (result) {
            case CommitResult::accepted:
            case CommitResult::duplicate:
            case CommitResult::unknown_user:
                if (result == CommitResult::unknown_user)
                    log.info("delivery for an Oura user not connected yet: kept", {{"data_type", e.data_type}});
                if (!e.known_data_type) log.info("delivery of an unknown data_type: kept", {{"data_type", e.data_type}});
                return http::json_response(200, R"({"status":"accepted"})");
            case CommitResult::rejected:
                return json_error(400, "the event's values cannot be stored");
            case CommitResult::unavailable:
                break;
        }
        auto res = json_error(503, "not stored; retry later");
        res.headers.set("Retry-After", "5");
        return res;
    }

    void consume(int index, std::stop_token stop) {
        char host[256] = {};
        ::gethostname(host, sizeof host - 1);
        const std::string worker = std::string(host) + ":" + std::to_string(::getpid()) + ":webhook-" + std::to_string(index);
        sync::WebhookProcessor processor(pool, *client, *tokens, log);
        std::unique_ptr<store::JobWaiter> waiter;
        const std::vector<std::string> kinds{store::webhook_job_kind};
        while (!stop.stop_requested()) {
            try {
                if (!waiter) waiter = std::make_unique<store::JobWaiter>(settings.runtime.database_url, kinds);
                auto jobs = store::claim(pool, kinds, 1, worker, settings.job_lease);
                if (jobs.empty()) {
                    waiter->wait(std::chrono::seconds(2));
                    continue;
                }
                for (const auto& job : jobs) {
                    auto result = processor.process(job);
                    if (result.lag_seconds && result.inbox_outcome != "failed") metrics.processing_lag(*result.lag_seconds);
                    if (result.job != sync::JobOutcome::completed)
                        log.warn("webhook job not completed", {{"job_id", job.id},
                                                               {"outcome", std::string(sync::to_string(result.job))},
                                                               {"attempt", job.attempt},
                                                               {"error", result.error}});
                    else
                        log.debug("webhook job done", {{"job_id", job.id}, {"outcome", result.inbox_outcome}});
                }
            } catch (const std::exception& e) {
                log.error("webhook consumer: database unavailable; trying again", {{"error", e.what()}});
                waiter.reset();
                for (int i = 0; i < 20 && !stop.stop_requested(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
            }
        }
    }
};

App::App(Settings settings, const core::Logger& log) : impl_(std::make_unique<Impl>(std::move(settings), log)) {}
App::~App() = default;

std::uint16_t App::port() const { return impl_->runtime.port(); }

int App::run(const core::ShutdownSignals& signals) { return impl_->runtime.run(signals); }

}  // namespace oura::ingest_webhook
