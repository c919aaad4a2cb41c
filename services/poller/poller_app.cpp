#include "poller_app.hpp"

#include <atomic>
#include <iostream>
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
#include "oura/store/database.hpp"
#include "oura/store/sync_records.hpp"
#include "oura/store/users.hpp"
#include "oura/sync/syncer.hpp"

namespace oura::poller {
namespace {

// "poll" in ASCII: the advisory lock that keeps two poller runs from overlapping.
constexpr long long poller_lock_key = 0x706f6c6c;

core::CommandLine command_line() {
    return core::CommandLine(
        "poller [--days N] [--resources a,b] [--users u1,u2] [--concurrency N] [--dry-run]",
        "One reconciliation pass, then exit (run it from a CronJob). For every active user: the last N\n"
        "local days of every resource, heart rate and ring battery since the last stored sample,\n"
        "personal_info and ring_configuration. Documents Oura no longer has inside the window are\n"
        "tombstoned. A second poller started during a run exits 0 at once.",
        {{"days", "N", "days to reconcile, ending today (default 3, at most 3650)"},
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
        "  OURA_PUSHGATEWAY_URL         push run metrics there when set\n"
        "  Every variable may instead be given as NAME_FILE (a mounted secret). See docs/configuration.md.\n"
        "Exit codes: 0 success (or another run holds the lock), 1 a resource failed, 2 bad usage or configuration.");
}

struct Task {
    store::User user;
    const api::Resource* resource;
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
    s.pushgateway_url = env.get_or("OURA_PUSHGATEWAY_URL", "");
    s.cipher = store::TokenCipher::from_env(env);  // a bad key stops the start, not the middle of a run
    return s;
}

App::App(Settings settings, const core::Logger& log) : settings_(std::move(settings)), log_(log) {}

int App::run_once() {
    auto started = std::chrono::steady_clock::now();
    std::unique_ptr<store::RunLock> lock;
    std::vector<store::User> users;
    store::Pool pool(settings_.database_url, static_cast<std::size_t>(settings_.concurrency) + 1);
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

    std::vector<const api::Resource*> resources;
    for (const auto& r : api::resources())
        if (settings_.resources.empty() ||
            std::find(settings_.resources.begin(), settings_.resources.end(), r.name) != settings_.resources.end())
            resources.push_back(&r);

    auto today = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now());
    core::Days from = today - std::chrono::days(settings_.days - 1);
    std::vector<Task> tasks;
    for (const auto& u : users)
        for (auto* r : resources) tasks.push_back({u, r});

    if (settings_.dry_run) {
        for (const auto& t : tasks)
            std::cout << "user " << t.user.user_id << " (" << t.user.oura_user_id << ")  " << t.resource->name << "  "
                      << core::format_date(from) << " .. " << core::format_date(today) << "\n";
        log_.info("dry run: nothing fetched, nothing written", {{"users", users.size()}, {"tasks", tasks.size()}});
        return core::exit_ok;
    }

    long long run_id = pool.with_connection([](pqxx::connection& c) { return store::start_run(c, "poller"); });
    log_.info("poller run started", {{"run_id", run_id}, {"users", users.size()}, {"resources", resources.size()},
                                     {"days", settings_.days}});

    metrics::Registry registry;
    metrics::PrometheusApiMetrics api_metrics(registry);
    auto api_options = settings_.api;
    api_options.metrics = &api_metrics;
    api::OuraClient client(api_options, log_);
    sync::TokenProvider tokens(pool, *settings_.cipher, client, log_);
    sync::Syncer syncer(pool, client, tokens, log_);

    std::atomic<std::size_t> next{0};
    std::mutex mutex;
    std::map<std::string, ResourceTotals> totals;
    long long failures = 0, scope_missing = 0;
    auto worker = [&] {
        for (std::size_t i = next++; i < tasks.size(); i = next++) {
            const auto& t = tasks[i];
            sync::SyncResult r;
            // Time-series windows are UTC; a local day west of UTC ends up to 14 h after UTC
            // midnight, so they run a day past today (Oura simply has nothing newer yet).
            if (t.resource->time_series)
                r = syncer.sync_since_last_sample(t.user.user_id, *t.resource, from, today + std::chrono::days(1));
            else r = syncer.sync_window(t.user.user_id, *t.resource, api::Window{from, today});
            std::lock_guard guard(mutex);
            auto& total = totals[r.resource];
            total.counts += r.counts;
            if (r.status == "scope_missing") ++scope_missing;
            else if (!r.ok()) {
                ++failures;
                ++total.failures;
            }
        }
    };
    std::vector<std::thread> threads;
    for (int i = 0; i < settings_.concurrency; ++i) threads.emplace_back(worker);
    for (auto& th : threads) th.join();

    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    auto summary = summary_json(totals, users.size(), seconds, failures);
    std::string status = failures == 0 ? "succeeded" : (failures < static_cast<long long>(tasks.size()) ? "partial" : "failed");
    try {
        pool.with_connection([&](pqxx::connection& c) { store::finish_run(c, run_id, status, summary, ""); });
    } catch (const std::exception& e) {
        log_.error("cannot record the run's end", {{"error", e.what()}});
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
        dead_grants = pool.with_connection([](pqxx::connection& c) { return store::count_dead_grants(c); });
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
