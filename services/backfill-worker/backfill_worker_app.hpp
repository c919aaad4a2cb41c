#pragma once
// backfill-worker run: the daemon that works through backfill_chunk jobs (DESIGN §3, §5). N chunk
// workers claim jobs under a lease, heartbeat while the chunk runs through the poller's sync engine
// and write path, and end each job (complete, retry, park on a dead grant) together with the
// backfill's bookkeeping. Every Oura request draws from the budget shared in PostgreSQL.

#include <chrono>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>

#include "oura/api/client.hpp"
#include "oura/core/config.hpp"
#include "oura/core/log.hpp"
#include "oura/core/signals.hpp"
#include "oura/service/runtime.hpp"
#include "oura/store/tokens.hpp"

namespace oura::backfill_worker {

struct Settings {
    service::Settings runtime;
    api::ApiOptions api;
    std::optional<store::TokenCipher> cipher;
    int concurrency = 4;                                       // OURA_BACKFILL_CONCURRENCY
    std::chrono::milliseconds lease{std::chrono::seconds(60)};  // OURA_BACKFILL_LEASE
    std::chrono::milliseconds poll_interval{std::chrono::seconds(5)};  // OURA_BACKFILL_POLL_INTERVAL
    std::chrono::milliseconds retry_base{std::chrono::seconds(5)};     // OURA_BACKFILL_RETRY_BASE
    long long budget_requests = 5000;                          // OURA_API_BUDGET_REQUESTS (0: no shared budget)
    std::chrono::milliseconds budget_window{std::chrono::minutes(5)};  // OURA_API_BUDGET_WINDOW
    std::string worker_name;                                   // host name and pid, for jobs.locked_by
};

// Throws core::config_error naming the variable that is wrong.
Settings load_settings(const core::Env& env);

class App {
public:
    App(Settings settings, const core::Logger& log);
    ~App();
    // Serves /healthz /readyz /metrics and runs the chunk workers until SIGTERM; the exit code.
    int run(const core::ShutdownSignals& signals);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace oura::backfill_worker
