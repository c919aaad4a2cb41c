#include "backfill_worker_app.hpp"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <iostream>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "oura/api/catalog.hpp"
#include "oura/api/settings.hpp"
#include "oura/metrics/api_metrics.hpp"
#include "oura/metrics/job_metrics.hpp"
#include "oura/store/backfills.hpp"
#include "oura/store/budget.hpp"
#include "oura/store/database.hpp"
#include "oura/store/jobs.hpp"
#include "oura/sync/request_budget.hpp"
#include "oura/sync/syncer.hpp"
#include "oura/sync/token_provider.hpp"

namespace oura::backfill_worker {
namespace {

const std::vector<std::string> chunk_kinds{store::backfill_chunk_kind};

std::string default_worker_name() {
    char host[256] = {};
    if (gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') std::snprintf(host, sizeof host, "%s", "backfill-worker");
    return std::string(host) + "/" + std::to_string(getpid());
}

// Sleeps up to `d`, waking at once when `stop` is requested.
void sleep_unless_stopped(std::stop_token stop, std::chrono::milliseconds d) {
    std::mutex m;
    std::condition_variable_any cv;
    std::unique_lock lock(m);
    cv.wait_for(lock, stop, d, [] { return false; });
}

// A grant that only the user can mend (they must connect again): the chunk waits, parked.
bool dead_grant(const sync::SyncResult& r) {
    return r.error_kind && (*r.error_kind == api::ErrorKind::invalid_grant || *r.error_kind == api::ErrorKind::expired_token);
}

// Failures a later attempt may not meet: Oura's or the network's mood, or the database's.
bool worth_retrying(const sync::SyncResult& r) {
    if (r.retryable) return true;
    if (r.error_kind) return api::is_transient(*r.error_kind);
    return true;  // not an API error: a lost database, a broken page; attempts are bounded
}

}  // namespace

Settings load_settings(const core::Env& env) {
    Settings s;
    s.runtime = service::load_settings(env, "backfill-worker");
    s.api = api::options_from_env(env, /*require_client=*/true);
    s.cipher = store::TokenCipher::from_env(env);
    s.concurrency = static_cast<int>(env.get_int("OURA_BACKFILL_CONCURRENCY", s.concurrency, 1, 64));
    s.lease = env.get_duration("OURA_BACKFILL_LEASE", s.lease);
    if (s.lease < std::chrono::seconds(1)) throw core::config_error("OURA_BACKFILL_LEASE must be at least 1s");
    s.poll_interval = env.get_duration("OURA_BACKFILL_POLL_INTERVAL", s.poll_interval);
    if (s.poll_interval < std::chrono::milliseconds(100))
        throw core::config_error("OURA_BACKFILL_POLL_INTERVAL must be at least 100ms");
    s.retry_base = env.get_duration("OURA_BACKFILL_RETRY_BASE", s.retry_base);
    s.budget_requests = env.get_int("OURA_API_BUDGET_REQUESTS", s.budget_requests, 0, 1000000);
    s.budget_window = env.get_duration("OURA_API_BUDGET_WINDOW", s.budget_window);
    if (s.budget_requests > 0 && s.budget_window < std::chrono::seconds(1))
        throw core::config_error("OURA_API_BUDGET_WINDOW must be at least 1s");
    s.worker_name = default_worker_name();
    return s;
}

struct App::Impl {
    Settings settings;
    const core::Logger& log;
    service::Runtime runtime;
    metrics::JobMetrics job_metrics;
    metrics::PrometheusApiMetrics api_metrics;
    store::Pool pool;
    std::shared_ptr<sync::SharedRequestBudget> budget;
    std::unique_ptr<api::OuraClient> client;
    std::unique_ptr<sync::TokenProvider> tokens;
    std::unique_ptr<sync::Syncer> syncer;
    std::stop_source stopping;  // any worker's stop request, for the budget's waits
    std::atomic<bool> stop_forwarded{false};

    Impl(Settings s, const core::Logger& l)
        : settings(std::move(s)),
          log(l),
          runtime(settings.runtime, l),
          job_metrics(runtime.registry()),
          api_metrics(runtime.registry()),
          // Each worker holds one connection for its writes (on the sync's writer thread), one for
          // its heartbeats and one briefly for a token or the budget while it fetches.
          pool(settings.runtime.database_url, static_cast<std::size_t>(settings.concurrency) * 3 + 2) {
        auto api_options = settings.api;
        api_options.metrics = &api_metrics;
        if (settings.budget_requests > 0) {
            budget = std::make_shared<sync::SharedRequestBudget>(
                pool, store::budget_for_limit(settings.budget_requests, settings.budget_window), log,
                [this](double left) { job_metrics.budget_tokens(left); });
            budget->set_stop(stopping.get_token());
            api_options.budget = budget;
        }
        client = std::make_unique<api::OuraClient>(api_options, log);
        tokens = std::make_unique<sync::TokenProvider>(pool, *settings.cipher, *client, log);
        syncer = std::make_unique<sync::Syncer>(pool, *client, *tokens, log);
        for (int i = 0; i < settings.concurrency; ++i)
            runtime.add_worker("chunk-worker-" + std::to_string(i), [this, i](std::stop_token stop) { work(stop, i); });
    }

    void work(std::stop_token stop, int index);
    void run_chunk(const store::ClaimedJob& job, std::stop_token stop, const std::string& name);
    template <typename F>
    bool record(std::stop_token stop, const char* what, F&& write);
};

void App::Impl::work(std::stop_token stop, int index) {
    std::stop_callback forward(stop, [this] { stopping.request_stop(); });
    const std::string name = settings.worker_name + "/" + std::to_string(index);
    std::unique_ptr<store::JobWaiter> waiter;
    while (!stop.stop_requested()) {
        if (!waiter) {
            try {
                waiter = std::make_unique<store::JobWaiter>(settings.runtime.database_url, chunk_kinds);
            } catch (const std::exception& e) {
                log.warn("cannot listen for jobs; polling", {{"worker", name}, {"error", e.what()}});
            }
        }
        std::vector<store::ClaimedJob> jobs;
        try {
            jobs = store::claim(pool, chunk_kinds, 1, name, settings.lease);
        } catch (const std::exception& e) {
            log.warn("cannot claim jobs; the database may be away", {{"worker", name}, {"error", e.what()}});
            sleep_unless_stopped(stop, std::chrono::seconds(1));
            continue;
        }
        if (!jobs.empty()) {
            run_chunk(jobs.front(), stop, name);
            continue;
        }
        // Idle: settle backfills whose last chunk a claim buried, then wait for a NOTIFY or the poll.
        try {
            auto settled = pool.transact([](store::Transaction& tx) { return store::settle_idle_backfills(tx); });
            if (settled > 0) log.info("backfills settled", {{"backfills", settled}});
        } catch (const std::exception& e) {
            log.debug("cannot settle idle backfills", {{"error", e.what()}});
        }
        auto deadline = std::chrono::steady_clock::now() + settings.poll_interval;
        while (!stop.stop_requested()) {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) break;
            auto slice = std::min(left, std::chrono::milliseconds(250));
            if (waiter) {
                if (waiter->wait(slice)) break;
            } else {
                sleep_unless_stopped(stop, slice);
            }
        }
    }
}

// Writes a job's outcome; while the database is away, tries again for about a lease (or until the
// process is asked to stop: a shutdown must not wait on a lost database), then leaves the job to
// expire and be claimed again (re-running a chunk writes the same rows).
template <typename F>
bool App::Impl::record(std::stop_token stop, const char* what, F&& write) {
    auto delay = std::chrono::milliseconds(200);
    auto give_up = std::chrono::steady_clock::now() + settings.lease;
    for (;;) {
        try {
            pool.transact(write);
            return true;
        } catch (const store::lease_lost&) {
            throw;
        } catch (const std::exception& e) {
            if (stop.stop_requested() || std::chrono::steady_clock::now() + delay > give_up) {
                log.error("cannot record a chunk's outcome; its lease will expire and it runs again",
                          {{"what", what}, {"error", e.what()}});
                return false;
            }
            log.warn("cannot record a chunk's outcome yet; retrying", {{"what", what}, {"error", e.what()}});
            sleep_unless_stopped(stop, delay);
            delay = std::min(delay * 2, std::chrono::milliseconds(2000));
        }
    }
}

void App::Impl::run_chunk(const store::ClaimedJob& job, std::stop_token stop, const std::string& name) {
    const auto started = std::chrono::steady_clock::now();
    const std::string kind = job.kind;
    store::BackfillChunkJob chunk;
    const api::Resource* resource = nullptr;
    try {
        chunk = store::parse_chunk_payload(job.payload);
        resource = api::find_resource(chunk.resource);
        if (!resource) throw std::invalid_argument("unknown resource '" + chunk.resource + "'");
        if (!job.user_id) throw std::invalid_argument("a backfill chunk without a user");
    } catch (const std::exception& e) {
        log.error("unusable backfill chunk", {{"job_id", job.id}, {"error", e.what()}});
        try {
            record(stop, "fail", [&](store::Transaction& tx) {
                store::fail(tx, job.id, job.generation, e.what(), /*retryable=*/false);
                store::settle_backfills_of_job(tx, job.id);
            });
            job_metrics.processed(kind, "failed");
        } catch (const store::lease_lost&) {
            job_metrics.processed(kind, "lease_lost");
        }
        return;
    }

    // Heartbeats keep the lease while the chunk runs; a refused one means another worker owns the
    // job now (this one's lease expired) or it was cancelled: its completion will be refused too.
    std::atomic<bool> lost{false};
    std::jthread heartbeat([&](std::stop_token beat) {
        auto every = std::max(settings.lease / 3, std::chrono::milliseconds(100));
        while (!beat.stop_requested()) {
            sleep_unless_stopped(beat, every);
            if (beat.stop_requested()) return;
            try {
                bool held = pool.transact([&](store::Transaction& tx) {
                    return store::heartbeat(tx, job.id, job.generation, settings.lease);
                });
                if (!held) {
                    lost = true;
                    log.warn("lost a chunk's lease (re-claimed elsewhere or cancelled)", {{"job_id", job.id}});
                    return;
                }
            } catch (const std::exception& e) {
                log.warn("heartbeat failed", {{"job_id", job.id}, {"error", e.what()}});
            }
        }
    });

    log.debug("chunk started", {{"job_id", job.id}, {"worker", name}, {"user_id", *job.user_id},
                                {"resource", chunk.resource}, {"from", core::format_date(chunk.from)},
                                {"to", core::format_date(chunk.to)}, {"attempt", job.attempt}});
    api::Window window{chunk.from, chunk.to, chunk.utc_offset_minutes};
    auto result = syncer->sync_window(*job.user_id, *resource, window);
    heartbeat.request_stop();
    heartbeat.join();

    const long long rows = result.counts.inserted + result.counts.updated + result.counts.deleted;
    std::string outcome;
    store::RetryPolicy policy;
    policy.base = settings.retry_base;
    try {
        bool recorded = record(stop, "outcome", [&](store::Transaction& tx) {
            if (result.ok() || result.status == "scope_missing") {
                // A scope the grant lacks is recorded in sync_state (as the poller does); fetching
                // it again cannot help until the user consents, so the chunk is done.
                store::complete(tx, job.id, job.generation);
                store::record_chunk_success(tx, job.id, rows, result.pages);
                outcome = "completed";
            } else if (stop.stop_requested()) {
                // Shutting down cut the chunk short (its budget wait was ended): another worker
                // takes it at once, and the attempt does not count.
                store::release(tx, job.id, job.generation);
                outcome = "retried";
            } else if (dead_grant(result)) {
                store::park(tx, job.id, job.generation, result.error);
                store::park_all_for_user(tx, *job.user_id, "the user's Oura grant is dead; waiting for them to reconnect",
                                         chunk_kinds);
                outcome = "parked";
            } else {
                auto o = store::fail(tx, job.id, job.generation, result.error, worth_retrying(result), policy);
                if (o != store::FailOutcome::retrying) store::settle_backfills_of_job(tx, job.id);
                outcome = o == store::FailOutcome::retrying ? "retried" : o == store::FailOutcome::dead ? "dead" : "failed";
            }
        });
        if (!recorded) return;
    } catch (const store::lease_lost& e) {
        outcome = "lease_lost";
        log.warn("chunk finished after its lease was lost; its outcome is discarded", {{"job_id", job.id}, {"error", e.what()}});
    }
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    job_metrics.processed(kind, outcome);
    if (outcome == "completed") job_metrics.chunk_finished(seconds, rows);
    log.info("chunk finished", {{"job_id", job.id},
                                {"user_id", *job.user_id},
                                {"resource", chunk.resource},
                                {"from", core::format_date(chunk.from)},
                                {"to", core::format_date(chunk.to)},
                                {"outcome", outcome},
                                {"rows", rows},
                                {"requests", result.pages},
                                {"seconds", seconds},
                                {"error", result.error}});
}

App::App(Settings settings, const core::Logger& log) : impl_(std::make_unique<Impl>(std::move(settings), log)) {}
App::~App() = default;

int App::run(const core::ShutdownSignals& signals) {
    // The address on stdout, as every daemon of the platform prints it: tests and scripts read it.
    std::cout << "http://127.0.0.1:" << impl_->runtime.port() << std::endl;
    impl_->log.info("backfill-worker starting", {{"port", impl_->runtime.port()},
                                                 {"concurrency", impl_->settings.concurrency},
                                                 {"lease_ms", static_cast<long long>(impl_->settings.lease.count())},
                                                 {"budget_requests", impl_->settings.budget_requests}});
    return impl_->runtime.run(signals);
}

}  // namespace oura::backfill_worker
