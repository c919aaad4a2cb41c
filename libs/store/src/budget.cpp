#include "oura/store/budget.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "oura/core/time.hpp"
#include "statement.hpp"

namespace oura::store {
namespace {

constexpr Statement create_budget{"create_budget", R"sql(
    INSERT INTO oura.request_budgets (name, tokens, capacity, refill_per_second)
    VALUES ($1, $2, $2, $3)
    ON CONFLICT (name) DO NOTHING
)sql"};

constexpr Statement lock_budget{"lock_budget", R"sql(
    SELECT 1 FROM oura.request_budgets WHERE name = $1 FOR UPDATE
)sql"};

// Runs after lock_budget in the same transaction: its snapshot sees the last taker's commit, and
// clock_timestamp() is read after the lock was granted, so refills are counted once.
constexpr Statement take_token{"take_budget_token", R"sql(
    WITH cur AS (
        SELECT name, paused_until, clock_timestamp() AS at,
               least($2::float8, tokens + greatest(0, extract(epoch FROM clock_timestamp() - refilled_at)) * $3::float8) AS level,
               refilled_at
          FROM oura.request_budgets WHERE name = $1
    ), decided AS (
        SELECT *, (paused_until IS NULL OR paused_until <= at) AND level >= 1 AS granted FROM cur
    )
    UPDATE oura.request_budgets b
       SET tokens = CASE WHEN d.granted THEN d.level - 1 ELSE d.level END,
           refilled_at = greatest(d.at, d.refilled_at), capacity = $2, refill_per_second = $3, updated_at = now()
      FROM decided d
     WHERE b.name = d.name
    RETURNING d.granted,
              CASE WHEN d.granted THEN 0
                   WHEN d.paused_until > d.at THEN extract(epoch FROM d.paused_until - d.at) * 1000
                   ELSE (1 - d.level) / $3::float8 * 1000 END,
              CASE WHEN d.granted THEN d.level - 1 ELSE d.level END
)sql"};

// Tokens start accruing again only when the pause ends (refilled_at moved to it).
constexpr Statement pause_budget_sql{"pause_budget", R"sql(
    UPDATE oura.request_budgets
       SET tokens = 0, paused_until = greatest(COALESCE(paused_until, $2::timestamptz), $2::timestamptz),
           refilled_at = greatest(refilled_at, $2::timestamptz), rate_limited_total = rate_limited_total + 1,
           updated_at = now()
     WHERE name = $1
)sql"};

}  // namespace

BucketShape bucket_for_limit(long long requests, std::chrono::milliseconds window) {
    if (requests < 1) throw std::invalid_argument("a request budget needs at least one request per window");
    if (window < std::chrono::seconds(1)) throw std::invalid_argument("a request budget's window must be at least 1s");
    // A small burst: every token of burst is one less of steady rate (burst + rate x window is
    // fixed), and a long backfill lives on the rate (bench/backfill_bench.sh, rate-limited).
    double capacity = std::max(1.0, std::floor(static_cast<double>(requests) / 100.0));
    double seconds = std::chrono::duration<double>(window).count();
    // 5 % headroom: a request takes its token some milliseconds before Oura counts it, and those
    // delays differ, so two requests a window apart here may land a little closer there.
    double rate = (static_cast<double>(requests) * 0.95 - capacity) / seconds;
    if (rate <= 0) rate = static_cast<double>(requests) / seconds / 2;  // a limit of one request: half of it
    return {capacity, rate};
}

BudgetTake take_budget_token(pqxx::work& tx, const std::string& name, const BucketShape& shape) {
    exec(tx, create_budget, name, shape.capacity, shape.refill_per_second);
    exec(tx, lock_budget, name);
    auto row = exec1(tx, take_token, name, shape.capacity, shape.refill_per_second);
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
