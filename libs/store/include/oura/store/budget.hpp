#pragma once
// The shared Oura request budget (oura.request_budgets and oura.request_budget_slots, migrations
// 0012 and 0022): requests counted in a rolling window, as Oura counts them, taken under the budget
// row's lock by every worker of every replica, with the database's clock.

#include <pqxx/pqxx>

#include <chrono>
#include <string>

namespace oura::store {

// A rolling-window limit as the takers apply it: at most `requests` in any `window`, counted per
// `slot` of time (the window is counted up to one slot long, never short).
struct BudgetShape {
    long long requests = 1;
    std::chrono::milliseconds slot{100};
    long long slots_per_window = 10;
};
// The shape that keeps any `window` within `requests`, with 5 % headroom, counted in slots of a
// hundredth of the window (at least 100 ms). Throws std::invalid_argument for requests < 1 or a
// window under a second.
BudgetShape budget_for_limit(long long requests, std::chrono::milliseconds window);

struct BudgetTake {
    bool granted = false;
    // Not granted: how long until the window has room (or the 429 pause ends).
    std::chrono::milliseconds wait{0};
    double tokens_left = 0;  // requests the window has room for after this take
};

// Takes one request from budget `name` (created on first use; the shape is the caller's, so a
// changed limit applies at once). Commit `tx` at once: the budget row stays locked until then.
BudgetTake take_budget_token(pqxx::work& tx, const std::string& name, const BudgetShape& shape);

// A 429: pauses every taker until `until` (never shortening a pause) and counts it.
void pause_budget(pqxx::work& tx, const std::string& name, std::chrono::system_clock::time_point until);

}  // namespace oura::store
