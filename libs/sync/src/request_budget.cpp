#include "oura/sync/request_budget.hpp"

#include <algorithm>
#include <thread>

#include "oura/api/errors.hpp"
#include "oura/core/time.hpp"

namespace oura::sync {

SharedRequestBudget::SharedRequestBudget(store::Pool& pool, store::BudgetShape shape, const core::Logger& log,
                                         std::function<void(double)> on_tokens, std::string name)
    : pool_(pool), shape_(shape), log_(log), on_tokens_(std::move(on_tokens)), name_(std::move(name)) {}

void SharedRequestBudget::acquire(std::chrono::milliseconds max_wait) {
    using namespace std::chrono;
    auto waited = milliseconds(0);
    for (;;) {
        auto take = pool_.transact([&](store::Transaction& tx) { return store::take_budget_token(tx, name_, shape_); });
        if (on_tokens_) on_tokens_(take.tokens_left);
        if (take.granted) return;
        if (stop_.stop_requested() || waited + take.wait > max_wait)
            throw api::api_error(api::ErrorKind::rate_limited, 0,
                                 stop_.stop_requested() ? "shutting down while waiting for the shared Oura request budget"
                                                        : "the shared Oura request budget is exhausted",
                                 {}, ceil<seconds>(take.wait));
        // Slices: a long 429 pause must not hold a worker past a shutdown, and other takers may
        // leave tokens sooner than the computed wait says (a shape change).
        auto pause = std::min(take.wait, milliseconds(250));
        std::this_thread::sleep_for(pause);
        waited += pause;
    }
}

void SharedRequestBudget::on_rate_limited(std::chrono::system_clock::time_point until) {
    try {
        pool_.transact([&](store::Transaction& tx) { store::pause_budget(tx, name_, until); });
        log_.warn("Oura answered 429; every worker pauses", {{"until", core::format_utc_millis(until)}});
    } catch (const std::exception& e) {
        // The process-wide gate still holds this process; the other replicas find out on their own.
        log_.error("cannot record the 429 pause in the shared budget", {{"error", e.what()}});
    }
}

}  // namespace oura::sync
