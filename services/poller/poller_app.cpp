#include "poller_app.hpp"

#include <atomic>
#include <iostream>
#include <algorithm>
#include <map>
#include <mutex>
#include <thread>

#include "oura/api/catalog.hpp"
#include "oura/api/settings.hpp"
#include "oura/core/cli.hpp"
#include "oura/core/json.hpp"
#include "oura/core/text.hpp"
#include "oura/core/time.hpp"
#include "oura/metrics/api_metrics.hpp"
#include "oura/metrics/poller_metrics.hpp"
#include "oura/metrics/registry.hpp"
#include "oura/metrics/token_metrics.hpp"
#include "oura/store/backfills.hpp"
#include "oura/store/database.hpp"
#include "oura/store/sync_records.hpp"
#include "oura/store/table_stats.hpp"
#include "oura/store/users.hpp"
#include "oura/store/oauth_states.hpp"
#include "oura/store/webhooks.hpp"
#include "oura/sync/discovery.hpp"
#include "oura/sync/plan.hpp"
#include "oura/sync/syncer.hpp"

namespace oura::poller {
namespace {

// "poll" in ASCII: the advisory lock that keeps two poller runs from overlapping.
constexpr long long poller_lock_key = 0x706f6c6c;

core::CommandLine command_line() {
    return core::CommandLine(
        "poller [--days N] [--resources a,b] [--users u1,u2] [--concurrency N] [--dry-run]",
        "One reconciliation pass, then exit (run it from a CronJob). For every active user: the last N\n"
        "local days (the user's, from the UTC offset of their newest document) of every resource, heart\n"
        "rate and ring battery included and reaching back to the newest stored sample, personal_info and\n"
        "ring_configuration. Documents Oura no longer has inside the window are tombstoned. A second\n"
        "poller started during a run exits 0 at once; runs that died are marked abandoned by the next.",
        {{"days", "N", "local days to reconcile, ending on each user's today (default 3, at most 3650)"},
         {"resources", "LIST", "comma-separated REST names (default: all), e.g. sleep,heartrate"},
         {"users", "LIST", "comma-separated user ids or Oura user ids (default: every active user)"},
         {"concurrency", "N", "user × resource syncs run at once (default 4, at most 32)"},
         {"dry-run", "", "print what would be fetched; call nothing, write nothing"}},
        "Environment:\n"
        "  OURA_DATABASE_URL            libpq URI (required)\n"
        "  OURA_TOKEN_ENCRYPTION_KEYS   versioned keys that seal OAuth tokens, e.g. 2:NEW,1:OLD (or one key in\n"
        "                               OURA_TOKEN_ENCRYPTION_KEY: 32 bytes, hex or base64; one is required)\n"
        "  OURA_CLIENT_ID, OURA_CLIENT_SECRET   the Oura application (required: refreshing tokens needs them)\n"
        "  OURA_API_BASE_URL            default https://api.ouraring.com\n"
        "  OURA_PUSHGATEWAY_URL         push run metrics there when set (http:// or https:// URL)\n"
        "  OURA_DISCOVER_COLLECTIONS    keep collections Oura's OpenAPI document adds (default true)\n"
        "  OURA_INITIAL_BACKFILL_DAYS   history queued once for a user seen first (default 730; 0 = none)\n"
        "  OURA_LOG_LEVEL               debug, info (default), warn or error\n"
        "  OURA_WEBHOOK_CALLBACK_URL    ensure and renew the webhook subscriptions for this URL each run\n"
        "  OURA_RETENTION_DAYS          prune processed webhook deliveries and finished jobs older than this (30)\n"
        "  OURA_NOW                     tests only: plan from this instant instead of the clock\n"
        "  Every variable may instead be given as NAME_FILE (a mounted secret). See docs/configuration.md.\n"
        "Exit codes: 0 success (or another run holds the lock), 1 a resource failed, 2 bad usage or configuration.");
}

struct Task {
    store::User user;
    const api::Resource* resource;
    api::Window window;
    // Found by discovery: Oura may list a collection this account cannot read (403/404), which
    // is recorded in sync_state but does not fail the run.
    bool discovered = false;
};

struct ResourceTotals {
    store::WriteCounts counts;
    long long failures = 0;
};

std::string summary_json(const std::map<std::string, ResourceTotals>& totals, std::size_t users, double seconds,
                         long long failures) {
    core::JsonWriter w;
    w.begin_object().field("users", users).field("failures", failures).field("duration_seconds", seconds);
    w.key("resources").begin_object();
    for (const auto& [name, r] : totals) {
        w.key(name)
            .begin_object()
            .field("inserted", r.counts.inserted)
            .field("updated", r.counts.updated)
            .field("unchanged", r.counts.unchanged)
            .field("deleted", r.counts.deleted)
            .field("failures", r.failures)
            .end_object();
    }
    w.end_object().end_object();
    return w.take();
}

// The run's figures as Prometheus series, for the Pushgateway (a CronJob is gone before a scrape).
void record_run_metrics(metrics::Registry& registry, const std::map<std::string, ResourceTotals>& totals,
                        double seconds, long long failures) {
    metrics::PollerRunMetrics run(registry);
    for (const auto& [name, t] : totals)
        run.record_resource(name,
                            {t.counts.inserted, t.counts.updated, t.counts.unchanged, t.counts.deleted, t.failures});
    run.record_run(seconds, failures);
}

// Batches of retention: each one short transaction, so pruning never holds many locks for long.
constexpr long long retention_batch = 1000;
// Bounds one run's pruning; what is left waits for the next run.
constexpr int max_retention_batches = 500;

// Housekeeping of the webhook edge, never on the request path: old processed deliveries, finished
// jobs (dead ones kept longer) and spent or expired OAuth states. Failures are logged; stale rows
// harm no data.
void prune(store::Pool& pool, const Settings& settings, const core::Logger& log) {
    try {
        const auto age = std::chrono::hours(24) * settings.retention_days;
        const auto dead_age = std::chrono::hours(24) * settings.dead_retention_days;
        long long inbox = 0, jobs = 0;
        for (int i = 0; i < max_retention_batches; ++i) {
            auto n = pool.transact([&](store::Transaction& tx) { return store::prune_inbox(tx, age, retention_batch); });
            inbox += n;
            if (n < retention_batch) break;
        }
        for (int i = 0; i < max_retention_batches; ++i) {
            auto n = pool.transact([&](store::Transaction& tx) { return store::prune_unclaimed_inbox(tx, dead_age, retention_batch); });
            inbox += n;
            if (n < retention_batch) break;
        }
        for (int i = 0; i < max_retention_batches; ++i) {
            auto n = pool.transact(
                [&](store::Transaction& tx) { return store::prune_jobs_keeping_dead(tx, age, dead_age, retention_batch); });
            jobs += n;
            if (n < retention_batch) break;
        }
        auto queued = pool.transact([](store::Transaction& tx) { return store::enqueue_all_waiting_deliveries(tx); });
        if (queued > 0) log.info("queued webhook deliveries kept for users who connected since", {{"deliveries", queued}});
        auto states = pool.transact(
            [&](store::Transaction& tx) { return store::delete_stale_oauth_states(tx, std::chrono::hours(1)); });
        log.info("retention applied", {{"inbox_rows", inbox}, {"jobs", jobs}, {"oauth_states", states},
                                       {"retention_days", settings.retention_days}});
    } catch (const std::exception& e) {
        log.warn("cannot apply retention", {{"error", e.what()}});
    }
}

// A run that lost its database says how it ended once the database is back; when it stays away
// longer than this, the next run marks the row abandoned instead.
void record_end(store::Pool& pool, long long run_id, const std::string& status, const std::string& summary,
                const core::Logger& log) {
    auto delay = std::chrono::milliseconds(250);
    for (int attempt = 1;; ++attempt) {
        try {
            pool.transact([&](store::Transaction& tx) { store::finish_run(tx, run_id, status, summary, ""); });
            if (attempt > 1) log.info("recorded the run's end after the database came back", {{"attempts", attempt}});
            return;
        } catch (const std::exception& e) {
            if (attempt == 6) {
                log.error("cannot record the run's end; the next run will mark it abandoned", {{"error", e.what()}});
                return;
            }
            log.warn("cannot record the run's end yet; retrying", {{"error", e.what()}, {"attempt", attempt}});
            std::this_thread::sleep_for(delay);
            delay *= 2;
        }
    }
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
    s.days = static_cast<int>(cli.int_or("days", 3, 1, 3650));
    s.concurrency = static_cast<int>(cli.int_or("concurrency", 4, 1, 32));
    s.dry_run = cli.has("dry-run");
    s.users = core::split_list(cli.value_or("users", ""));
    s.resources = core::split_list(cli.value_or("resources", ""));
    for (const auto& r : s.resources) {
        if (!api::find_resource(r)) {
            std::string known;
            for (const auto& k : api::resources()) known += (known.empty() ? "" : ", ") + std::string(k.name);
            throw core::usage_error("--resources: unknown resource '" + r + "'; known: " + known);
        }
    }
    s.database_url = env.require("OURA_DATABASE_URL");
    s.api = api::options_from_env(env, /*require_client=*/!s.dry_run);
    s.pushgateway_url = env.get_url("OURA_PUSHGATEWAY_URL", "");
    s.now = env.get_instant("OURA_NOW");
    s.discover_collections = env.get_bool("OURA_DISCOVER_COLLECTIONS", true);
    s.initial_backfill_days = static_cast<int>(
        env.get_int("OURA_INITIAL_BACKFILL_DAYS", store::default_initial_backfill_days, 0, 3650));
    s.cipher = store::TokenCipher::from_env(env);  // a bad key stops the start, not the middle of a run
    s.subscriptions = sync::subscription_settings_from_env(env);
    s.retention_days = static_cast<int>(env.get_int("OURA_RETENTION_DAYS", s.retention_days, 1, 3650));
    s.dead_retention_days = static_cast<int>(env.get_int("OURA_DEAD_JOB_RETENTION_DAYS", s.dead_retention_days, 1, 3650));
    return s;
}

App::App(Settings settings, const core::Logger& log, const core::Clock& clock)
    : settings_(std::move(settings)), log_(log), clock_(clock) {}

int App::run_once() {
    auto started = std::chrono::steady_clock::now();
    std::unique_ptr<store::RunLock> lock;
    std::vector<store::User> users;
    // Each sync fetches on its worker's thread and writes on a writer thread of its own
    // (syncer.cpp), so a worker may hold two connections at once.
    store::Pool pool(settings_.database_url, static_cast<std::size_t>(settings_.concurrency) * 2 + 1);
    try {
        lock = std::make_unique<store::RunLock>(settings_.database_url, poller_lock_key);
        if (!lock->held()) {
            log_.info("another poller run holds the lock; nothing to do");
            return core::exit_ok;
        }
        auto lease = pool.acquire();
        for (auto& u : store::list_users(*lease, true)) {
            bool wanted = settings_.users.empty();
            for (const auto& want : settings_.users)
                wanted = wanted || want == u.oura_user_id || want == std::to_string(u.user_id);
            if (wanted) users.push_back(std::move(u));
        }
    } catch (const store::database_unavailable& e) {
        log_.error("database unreachable", {{"error", e.what()}});
        return core::exit_usage;
    }

    std::vector<const api::Resource*> wanted;
    for (const auto& r : api::resources())
        if (settings_.resources.empty() ||
            std::find(settings_.resources.begin(), settings_.resources.end(), r.name) != settings_.resources.end())
            wanted.push_back(&r);
    // The series first: heart rate is the longest task of a pass, so it starts at once.
    std::stable_partition(wanted.begin(), wanted.end(), [](const api::Resource* r) { return r->time_series; });

    const auto now = std::chrono::floor<std::chrono::seconds>(clock_.now());
    // Each user's window is their own last N local days, at the offset of their newest document.
    // Time series of a user whose offset is unknown take a day more on each side (plan.hpp), so
    // they run beside the documents instead of after them. `windows` keeps each user's document
    // window for the collections discovered later.
    std::vector<Task> tasks;
    std::map<long long, api::Window> windows;
    try {
        for (const auto& u : users) {
            auto offset = pool.transact([&](store::Transaction& tx) { return store::latest_utc_offset(tx, u.user_id); });
            auto window = sync::poll_window(now, settings_.days, offset);
            windows.emplace(u.user_id, window);
            for (auto* r : wanted)
                tasks.push_back({u, r, r->time_series ? sync::series_poll_window(now, settings_.days, offset) : window});
        }
    } catch (const store::database_unavailable& e) {
        log_.error("database unreachable", {{"error", e.what()}});
        return core::exit_usage;
    }
    if (settings_.dry_run) {
        for (const auto& t : tasks)
            std::cout << "user " << t.user.user_id << " (" << t.user.oura_user_id << ")  " << t.resource->name << "  "
                      << core::format_date(t.window.from) << " .. " << core::format_date(t.window.to) << "\n";
        log_.info("dry run: nothing fetched, nothing written", {{"users", users.size()}, {"tasks", tasks.size()}});
        return core::exit_ok;
    }

    // This run holds the lock, so no other poller is running: a row still 'running' is a run that
    // died (kill -9, lost database) before it could record its end.
    auto abandoned = pool.transact([](store::Transaction& tx) { return store::abandon_running_runs(tx, "poller"); });
    if (abandoned > 0) log_.warn("earlier poller runs died without recording their end; marked abandoned", {{"runs", abandoned}});
    long long run_id = pool.transact([](store::Transaction& tx) { return store::start_run(tx, "poller"); });
    // A user seen for the first time gets their history from backfill-worker (once per user).
    const auto today = std::chrono::floor<std::chrono::days>(now);
    for (const auto& u : users) {
        try {
            auto id = pool.transact([&](store::Transaction& tx) {
                return store::ensure_initial_backfill(tx, u.user_id, settings_.initial_backfill_days, today);
            });
            if (id) log_.info("initial backfill queued", {{"user_id", u.user_id}, {"backfill_id", *id},
                                                          {"days", settings_.initial_backfill_days}});
        } catch (const std::exception& e) {
            log_.error("cannot queue the initial backfill; the next run tries again", {{"user_id", u.user_id}, {"error", e.what()}});
        }
    }
    log_.info("poller run started", {{"run_id", run_id}, {"users", users.size()},
                                     {"resources", wanted.size()}, {"days", settings_.days}});

    metrics::Registry registry;
    metrics::PrometheusApiMetrics api_metrics(registry);
    auto api_options = settings_.api;
    api_options.metrics = &api_metrics;
    api::OuraClient client(api_options, log_);
    sync::TokenProvider tokens(pool, *settings_.cipher, client, log_);
    sync::Syncer syncer(pool, client, tokens, log_);
    // Only a full run discovers: --resources names catalogued collections.
    std::vector<api::Resource> discovered;
    if (settings_.discover_collections && settings_.resources.empty())
        discovered = sync::discover_collections(client, log_);
    for (const auto& u : users)
        for (const auto& r : discovered) tasks.push_back({u, &r, windows.at(u.user_id), true});

    std::mutex mutex;
    std::map<std::string, ResourceTotals> totals;
    long long failures = 0, scope_missing = 0;
    std::atomic<std::size_t> next{0};
    auto worker = [&] {
        for (std::size_t i = next++; i < tasks.size(); i = next++) {
            const auto& t = tasks[i];
            auto r = t.resource->time_series ? syncer.sync_since_last_sample(t.user.user_id, *t.resource, t.window)
                                             : syncer.sync_window(t.user.user_id, *t.resource, t.window);
            std::lock_guard guard(mutex);
            auto& total = totals[r.resource];
            total.counts += r.counts;
            if (r.status == "scope_missing") ++scope_missing;
            else if (!r.ok()) {
                if (!t.discovered) ++failures;
                ++total.failures;
            }
        }
    };
    std::vector<std::thread> threads;
    for (int i = 0; i < settings_.concurrency; ++i) threads.emplace_back(worker);
    for (auto& th : threads) th.join();

    // Subscriptions lapse after about 90 days unless renewed; a failure fails the run, so the
    // CronJob shows it long before deliveries stop.
    if (settings_.subscriptions) {
        try {
            auto report = sync::ensure_subscriptions(client, pool, *settings_.subscriptions, log_);
            log_.info("webhook subscriptions checked", {{"created", report.created}, {"renewed", report.renewed},
                                                        {"unchanged", report.existing}, {"failed", report.failed}});
            failures += report.failed;
        } catch (const std::exception& e) {
            log_.error("cannot list webhook subscriptions", {{"error", e.what()}});
            ++failures;
        }
    }
    prune(pool, settings_, log_);

    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    auto summary = summary_json(totals, users.size(), seconds, failures);
    std::string status = failures == 0 ? "succeeded" : (failures < static_cast<long long>(tasks.size()) ? "partial" : "failed");
    record_end(pool, run_id, status, summary, log_);
    // Sizes for /metrics (DESIGN §3: the poller refreshes stats). Stale sizes harm no data, so a
    // failure here is logged and leaves the run's exit code alone.
    try {
        int tables = pool.transact([](store::Transaction& tx) { return store::refresh_table_stats(tx); });
        log_.debug("table stats refreshed", {{"tables", tables}});
    } catch (const std::exception& e) {
        log_.warn("cannot refresh table stats", {{"error", e.what()}});
    }
    store::WriteCounts all;
    for (const auto& [name, r] : totals) all += r.counts;
    log_.info("poller run finished", {{"run_id", run_id},
                                      {"status", status},
                                      {"inserted", all.inserted},
                                      {"updated", all.updated},
                                      {"unchanged", all.unchanged},
                                      {"deleted", all.deleted},
                                      {"failures", failures},
                                      {"scope_missing", scope_missing},
                                      {"duration_seconds", seconds},
                                      {"summary", core::JsonText{summary}}});
    long long dead_grants = 0;
    try {
        dead_grants = pool.transact([](store::Transaction& tx) { return store::count_dead_grants(tx); });
        if (dead_grants > 0)
            log_.warn("users must connect their Oura account again (see oura-admin users list)",
                      {{"users", dead_grants}});
    } catch (const std::exception& e) {
        log_.error("cannot count dead grants", {{"error", e.what()}});
    }
    if (!settings_.pushgateway_url.empty()) {
        record_run_metrics(registry, totals, seconds, failures);
        metrics::record_dead_grants(registry, dead_grants);
        int pushed = metrics::push_to_gateway(registry, settings_.pushgateway_url, "oura_poller");
        if (pushed < 200 || pushed >= 300)
            log_.warn("could not push run metrics to the Pushgateway", {{"status", pushed}});
    }
    return failures == 0 ? core::exit_ok : core::exit_failure;
}

}  // namespace oura::poller
