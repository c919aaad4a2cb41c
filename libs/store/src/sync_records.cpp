#include "oura/store/sync_records.hpp"

#include "oura/store/database.hpp"
#include "statement.hpp"

namespace oura::store {
namespace {

constexpr Statement insert_run{"insert_run", "INSERT INTO oura.sync_runs (kind) VALUES ($1) RETURNING id"};

constexpr Statement update_run{"update_run", R"sql(
    UPDATE oura.sync_runs SET finished_at = now(), status = $2, summary = $3::jsonb, error = NULLIF($4, '')
     WHERE id = $1
)sql"};

constexpr Statement abandon_runs{"abandon_runs", R"sql(
    UPDATE oura.sync_runs
       SET status = 'abandoned', finished_at = now(),
           error = 'the run ended without recording its end (killed, or its database connection was lost)'
     WHERE kind = $1 AND status = 'running'
)sql"};

// Oura writes these LocalizedDateTime members with the offset of the user's clock at the time
// (API-NOTES: daily summaries' timestamp, sleep's bedtime_end); the newest day wins. Heart rate
// and battery rows are UTC and tags may lack an offset, so they say nothing about the user's zone.
constexpr Statement select_latest_utc_offset{"select_latest_utc_offset", R"sql(
    SELECT oura.utc_offset_minutes(CASE resource WHEN 'sleep' THEN payload->>'bedtime_end'
                                                 ELSE payload->>'timestamp' END)
      FROM oura.oura_documents
     WHERE user_id = $1 AND resource IN ('daily_activity', 'daily_readiness', 'daily_sleep', 'sleep')
       AND deleted_at IS NULL AND day IS NOT NULL
       AND oura.utc_offset_minutes(CASE resource WHEN 'sleep' THEN payload->>'bedtime_end'
                                                 ELSE payload->>'timestamp' END) IS NOT NULL
     ORDER BY day DESC, start_at DESC NULLS LAST
     LIMIT 1
)sql"};

constexpr Statement upsert_success{"upsert_success", R"sql(
    INSERT INTO oura.sync_state AS s (user_id, resource, status, last_attempt_at, last_success_at, consecutive_failures,
                                      last_sample_at, success_window_start_day, success_window_end_day, updated_at)
    VALUES ($1, $2, 'ok', now(), now(), 0, $3::timestamptz, $4::date, $5::date, now())
    ON CONFLICT (user_id, resource) DO UPDATE
       SET status = 'ok', last_attempt_at = now(), last_success_at = now(), consecutive_failures = 0,
           last_sample_at = COALESCE(EXCLUDED.last_sample_at, s.last_sample_at),
           success_window_start_day = EXCLUDED.success_window_start_day,
           success_window_end_day = EXCLUDED.success_window_end_day, updated_at = now()
)sql"};

constexpr Statement upsert_failure{"upsert_failure", R"sql(
    INSERT INTO oura.sync_state AS s (user_id, resource, status, last_attempt_at, last_error, last_error_at,
                                      consecutive_failures, updated_at)
    VALUES ($1, $2, $3, now(), $4, now(), 1, now())
    ON CONFLICT (user_id, resource) DO UPDATE
       SET status = EXCLUDED.status, last_attempt_at = now(), last_error = EXCLUDED.last_error, last_error_at = now(),
           consecutive_failures = s.consecutive_failures + 1, updated_at = now()
)sql"};

constexpr Statement try_advisory_lock{"try_advisory_lock", "SELECT pg_try_advisory_lock($1)"};

const char* nullable(const std::string& s) { return s.empty() ? nullptr : s.c_str(); }

}  // namespace

long long start_run(pqxx::work& tx, const std::string& kind) { return exec1(tx, insert_run, kind)[0].as<long long>(); }

void finish_run(pqxx::work& tx, long long run_id, const std::string& status, const std::string& summary_json,
                const std::string& error) {
    exec(tx, update_run, run_id, status, summary_json, error);
}

long long abandon_running_runs(pqxx::work& tx, const std::string& kind) {
    return static_cast<long long>(exec(tx, abandon_runs, kind).affected_rows());
}

std::optional<int> latest_utc_offset(pqxx::work& tx, long long user_id) {
    auto rows = exec(tx, select_latest_utc_offset, user_id);
    if (rows.empty() || rows[0][0].is_null()) return std::nullopt;
    return rows[0][0].as<int>();
}

void record_success(pqxx::work& tx, long long user_id, const std::string& resource, const SyncSuccess& s) {
    exec(tx, upsert_success, user_id, resource, s.last_sample_at ? s.last_sample_at->c_str() : nullptr,
                   nullable(s.window_start_day), nullable(s.window_end_day));
}

void record_failure(pqxx::work& tx, long long user_id, const std::string& resource, const std::string& status,
                    const std::string& error) {
    exec(tx, upsert_failure, user_id, resource, status, error);
}

RunLock::RunLock(const std::string& database_url, long long key) : conn_(connect(database_url)) {
    pqxx::nontransaction tx(*conn_);
    held_ = exec1(tx, try_advisory_lock, key)[0].as<bool>();
}

}  // namespace oura::store
