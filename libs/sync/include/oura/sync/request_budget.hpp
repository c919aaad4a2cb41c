#pragma once
// The PostgreSQL-backed api::RequestBudget: every worker of every replica takes its requests from
// one rolling window counted in the database (store/budget.hpp), and a 429 anyone sees pauses everyone.

#include <atomic>
#include <chrono>
#include <functional>
#include <stop_token>
#include <string>

#include "oura/api/budget.hpp"
#include "oura/core/log.hpp"
#include "oura/store/budget.hpp"
#include "oura/store/database.hpp"

namespace oura::sync {

// The per-application budget's row name.
inline constexpr const char* oura_api_budget = "oura_api";

class SharedRequestBudget final : public api::RequestBudget {
public:
    // `on_tokens` (may be empty) is told the tokens left after every take, for a gauge.
    SharedRequestBudget(store::Pool& pool, store::BudgetShape shape, const core::Logger& log,
                        std::function<void(double)> on_tokens = {}, std::string name = oura_api_budget);

    // Waits in slices of at most 250 ms, so a stop request (set_stop) ends the wait with
    // api_error(rate_limited) instead of holding a shutting-down worker.
    void acquire(std::chrono::milliseconds max_wait) override;
    void on_rate_limited(std::chrono::system_clock::time_point until) override;
    void set_stop(std::stop_token stop) { stop_ = std::move(stop); }

private:
    store::Pool& pool_;
    store::BudgetShape shape_;
    const core::Logger& log_;
    std::function<void(double)> on_tokens_;
    std::string name_;
    std::stop_token stop_;
};

}  // namespace oura::sync
