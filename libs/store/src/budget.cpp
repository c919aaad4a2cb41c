#include "oura/store/budget.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "oura/core/time.hpp"
#include "statement.hpp"

namespace oura::store {
namespace {

constexpr Statement create_budget{"create_budget", R"sql(
    INSERT INTO oura.request_budgets (name) VALUES ($1) ON CONFLICT (name) DO NOTHING
)sql"};

constexpr Statement lock_budget{"lock_budget", R"sql(
    SELECT 1 FROM oura.request_budgets WHERE name = $1 FOR UPDATE
)sql"};

// Runs after lock_budget in the same transaction: its snapshot sees the last taker's commit, and
// clock_timestamp() is read after the lock was granted. $2 requests per window, $3 slot length in
// ms, $4 slots per window. The slots counted start at most $4 slots before the current one: they
// cover the whole window and at most one slot more. Refused: the wait until the oldest slots that
// must leave have left (or the 429 pause ends). Slots are kept an hour at least.
constexpr Statement take_request{"take_budget_request", R"sql(
    WITH clock AS (
        SELECT clock_timestamp() AS at  -- read once: the slot and the wait come from one instant
    ), now AS (
        SELECT b.paused_until, c.at,
               floor(extract(epoch FROM c.at) * 1000 / $3::bigint)::bigint * $3::bigint AS slot,
               extract(epoch FROM c.at) * 1000 AS at_ms
          FROM oura.request_budgets b, clock c WHERE b.name = $1
    ), recent AS (
        SELECT s.started_ms, sum(s.requests) OVER (ORDER BY s.started_ms) AS upto
          FROM oura.request_budget_slots s, now
         WHERE s.name = $1 AND s.started_ms >= now.slot - $4::bigint * $3::bigint
    ), decided AS (
        SELECT now.*, COALESCE((SELECT max(upto) FROM recent), 0) AS used,
               (now.paused_until IS NULL OR now.paused_until <= now.at)
                   AND COALESCE((SELECT max(upto) FROM recent), 0) < $2::bigint AS granted
          FROM now
    ), counted AS (
        INSERT INTO oura.request_budget_slots AS s (name, started_ms, requests)
        SELECT $1, slot, 1 FROM decided WHERE granted
        ON CONFLICT (name, started_ms) DO UPDATE SET requests = s.requests + 1
    ), expired AS (
        -- An hour at least: a process configured with a longer window may still count them.
        DELETE FROM oura.request_budget_slots s USING now
         WHERE s.name = $1 AND s.started_ms < now.slot - greatest($4::bigint * $3::bigint, 3600000)
    )
    SELECT d.granted,
           CASE WHEN d.granted THEN 0
                WHEN d.paused_until > d.at THEN extract(epoch FROM d.paused_until - d.at) * 1000
                ELSE (SELECT min(r.started_ms) FROM recent r WHERE r.upto >= d.used - $2::bigint + 1)
                     + ($4::bigint + 1) * $3::bigint - d.at_ms END,
           greatest(0, $2::bigint - d.used - CASE WHEN d.granted THEN 1 ELSE 0 END)
      FROM decided d
)sql"};

constexpr Statement pause_budget_sql{"pause_budget", R"sql(
    UPDATE oura.request_budgets
       SET paused_until = greatest(COALESCE(paused_until, $2::timestamptz), $2::timestamptz),
           rate_limited_total = rate_limited_total + 1, updated_at = now()
     WHERE name = $1
)sql"};

}  // namespace

BudgetShape budget_for_limit(long long requests, std::chrono::milliseconds window) {
    if (requests < 1) throw std::invalid_argument("a request budget needs at least one request per window");
    if (window < std::chrono::seconds(1)) throw std::invalid_argument("a request budget's window must be at least 1s");
    BudgetShape shape;
    // 5 % headroom: a request is counted here some milliseconds before Oura counts it, and those
    // delays differ, so two requests a window apart here may land a little closer there.
    shape.requests = std::max(1LL, static_cast<long long>(std::floor(static_cast<double>(requests) * 0.95)));
    shape.slot = std::max(std::chrono::milliseconds(100), window / 100);
    shape.slots_per_window = (window.count() + shape.slot.count() - 1) / shape.slot.count();
    return shape;
}

BudgetTake take_budget_token(pqxx::work& tx, const std::string& name, const BudgetShape& shape) {
    exec(tx, create_budget, name);
    exec(tx, lock_budget, name);
    auto row = exec1(tx, take_request, name, shape.requests, static_cast<long long>(shape.slot.count()),
                     shape.slots_per_window);
    BudgetTake t;
    t.granted = row[0].as<bool>();
    t.wait = std::chrono::milliseconds(static_cast<long long>(std::ceil(std::max(0.0, row[1].as<double>()))));
    if (!t.granted && t.wait.count() == 0) t.wait = std::chrono::milliseconds(1);
    t.tokens_left = row[2].as<double>();
    return t;
}

void pause_budget(pqxx::work& tx, const std::string& name, std::chrono::system_clock::time_point until) {
    exec(tx, pause_budget_sql, name, core::format_utc_millis(until));
}

}  // namespace oura::store
