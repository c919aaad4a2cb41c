#pragma once
// The shared Oura request budget (oura.request_budgets, migration 0012): a token bucket in one row,
// taken from under the row's lock by every worker of every replica, with the database's clock.

#include <pqxx/pqxx>

#include <chrono>
#include <string>

namespace oura::store {

struct BucketShape {
    double capacity = 1;           // largest burst
    double refill_per_second = 1;  // steady rate
};
// The bucket that keeps any `window` within `requests`: a burst of a hundredth of the limit (at
// least one) and the rest spread evenly, with 5 % headroom, so burst + rate x window <= 0.95 x
// requests: a long run gets ~94 % of the limit. Throws std::invalid_argument
// for requests < 1 or a window under a second.
BucketShape bucket_for_limit(long long requests, std::chrono::milliseconds window);

struct BudgetTake {
    bool granted = false;
    // Not granted: how long until a token is there (or the 429 pause ends).
    std::chrono::milliseconds wait{0};
    double tokens_left = 0;  // after this take
};

// Takes one token from bucket `name` (created full with `shape` on first use; a changed shape is
// applied). Commit `tx` at once: the row stays locked until then.
BudgetTake take_budget_token(pqxx::work& tx, const std::string& name, const BucketShape& shape);

// A 429: empties the bucket and pauses every taker until `until` (never shortening a pause).
void pause_budget(pqxx::work& tx, const std::string& name, std::chrono::system_clock::time_point until);

}  // namespace oura::store
