#pragma once
// What the ingestion paths record about themselves: one sync_runs row per run, and sync_state per
// user × resource (what the status page, the metrics and the alerts read).

#include <pqxx/pqxx>

#include <memory>
#include <optional>
#include <string>

namespace oura::store {

// Inserts a running sync_runs row; returns its id.
long long start_run(pqxx::work& tx, const std::string& kind);
// status: succeeded | partial | failed; summary: a JSON object.
void finish_run(pqxx::work& tx, long long run_id, const std::string& status, const std::string& summary_json,
                const std::string& error);
// Marks every `running` row of `kind` abandoned (a run that died before recording its end) and
// returns how many. Only a caller holding the lock that keeps runs of `kind` apart may call it.
long long abandon_running_runs(pqxx::work& tx, const std::string& kind);

// The UTC offset, in minutes east, written in the user's most recent document that carries one
// (a daily summary's timestamp or a sleep's bedtime_end); nullopt when the user has none yet.
std::optional<int> latest_utc_offset(pqxx::work& tx, long long user_id);

struct SyncSuccess {
    std::string window_start_day, window_end_day;  // ISO dates, or empty
    std::optional<std::string> last_sample_at;     // ISO instant for time series
};
void record_success(pqxx::work& tx, long long user_id, const std::string& resource, const SyncSuccess& success);
// status: error | scope_missing | forbidden. `error` must hold no secret.
void record_failure(pqxx::work& tx, long long user_id, const std::string& resource, const std::string& status,
                    const std::string& error);

// An advisory lock held for as long as this object lives on its own connection, or not at all.
class RunLock {
public:
    // Tries once; held() tells whether it was taken.
    RunLock(const std::string& database_url, long long key);
    bool held() const { return held_; }

private:
    std::unique_ptr<pqxx::connection> conn_;
    bool held_ = false;
};

}  // namespace oura::store
