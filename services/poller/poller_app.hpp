#pragma once
// The poller: one reconciliation pass over every active user and resource, then exit (CronJob).

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "oura/api/client.hpp"
#include "oura/core/config.hpp"
#include "oura/core/log.hpp"
#include "oura/core/time.hpp"
#include "oura/store/tokens.hpp"
#include "oura/sync/subscriptions.hpp"

namespace oura::poller {

struct Settings {
    std::string database_url;
    api::ApiOptions api;
    int days = 3;                        // reconciliation window, in local days ending today
    std::vector<std::string> resources;  // REST names; empty = every resource of the catalog
    std::vector<std::string> users;      // internal ids or Oura user ids; empty = every active user
    bool dry_run = false;
    // OURA_INITIAL_BACKFILL_DAYS: history requested once for a user the poller sees first (0: none).
    int initial_backfill_days = 730;
    bool discover_collections = true;  // OURA_DISCOVER_COLLECTIONS: also keep collections the catalog does not know
    int concurrency = 4;
    std::string pushgateway_url;  // OURA_PUSHGATEWAY_URL: run metrics are pushed there when set
    // OURA_NOW, for tests only: the instant the run plans its windows from (each user's "today").
    std::optional<std::chrono::sys_seconds> now;
    std::optional<store::TokenCipher> cipher;  // from OURA_TOKEN_ENCRYPTION_KEY, checked at start
    // OURA_WEBHOOK_CALLBACK_URL and friends: the webhook subscriptions each run ensures and renews.
    std::optional<sync::SubscriptionSettings> subscriptions;
    int retention_days = 30;        // OURA_RETENTION_DAYS: processed inbox rows, finished jobs
    int dead_retention_days = 90;   // OURA_DEAD_JOB_RETENTION_DAYS: dead-lettered jobs
};

// Reads flags and the environment. Throws core::usage_error (bad flag) or core::config_error
// (bad variable), each naming what is wrong. Returns nullopt when --help was printed.
std::optional<Settings> load_settings(const core::Env& env, int argc, char** argv);

class App {
public:
    // `clock` decides each user's "today"; tests pass a fixed instant (OURA_NOW).
    App(Settings settings, const core::Logger& log, const core::Clock& clock = core::system_clock());
    // Exit code: 0 when every user × resource succeeded (a missing scope is recorded, not a
    // failure) or another run holds the lock; 1 when anything failed; 2 when the database is
    // unreachable or the configuration unusable.
    int run_once();

private:
    Settings settings_;
    const core::Logger& log_;
    const core::Clock& clock_;
};

}  // namespace oura::poller
