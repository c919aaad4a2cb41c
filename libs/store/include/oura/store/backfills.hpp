#pragma once
// History backfills (oura.backfills + oura.backfill_chunks, migration 0011): a request for users
// (or all) x resources x a day window becomes one row and one backfill_chunk job per user x
// resource x window, each window within the resource's request limit (api::plan_windows), newest
// first so recent history arrives first. A chunk's state is its job's; workers record what a
// chunk wrote and settle the backfill in the transaction that completes or fails the job.

#include <pqxx/pqxx>

#include <optional>
#include <string>
#include <vector>

#include "oura/core/time.hpp"

namespace oura::store {

// The job kind and priority of a chunk (docs: contracts; webhook events run before history).
inline constexpr const char* backfill_chunk_kind = "backfill_chunk";
inline constexpr int backfill_chunk_priority = 100;
inline constexpr int backfill_chunk_max_attempts = 10;

struct BackfillRequest {
    bool all_users = false;            // every active user at request time (user_ids ignored)
    std::vector<long long> user_ids;   // internal ids
    core::Days from{}, to{};           // local days, inclusive
    std::vector<std::string> resources;  // REST names; empty = every resource of the catalog
    std::string requested_by = "operator";
};

struct BackfillRef {
    long long id = 0;
    bool created = false;  // false: an equal request is running; this is its id
    int chunks = 0;        // chunks of the backfill (the existing one's when not created)
};

// One chunk as planned: what its job fetches.
struct BackfillChunkPlan {
    long long user_id = 0;
    std::string resource;
    core::Days from{}, to{};
};

// The chunks of a request, newest window first (then user, then catalog order): every resource's
// windows cover [from, to] exactly once (time series: [from - 1, to + 1], so every zone's version
// of those local days is inside), each within the resource's request limit. Resources
// without a window (personal_info, ring_configuration) are one chunk each. Throws
// std::invalid_argument for an unknown resource or from > to.
std::vector<BackfillChunkPlan> plan_backfill_chunks(const std::vector<long long>& user_ids,
                                                    const std::vector<std::string>& resources, core::Days from,
                                                    core::Days to);

// The canonical request key: an equal request (same users or all, window and resources, in any
// order) has the same key.
std::string backfill_request_key(const BackfillRequest& request);

// Records the request and enqueues its chunk jobs (kind backfill_chunk, dedupe per user x resource
// x window, so a chunk another running backfill already queued is shared, not fetched twice).
// While an equal request is running, returns it (created = false) and queues nothing. Throws
// std::invalid_argument naming what is wrong: unknown user or resource, from > to, no users.
BackfillRef request_backfill(pqxx::work& tx, const BackfillRequest& request);

// A user's initial history (the last `days` days ending `today`, UTC today when nullopt), requested
// once per user: the first call returns the backfill's id, every later one (from any process)
// nullopt. days <= 0 requests nothing and remembers nothing.
std::optional<long long> ensure_initial_backfill(pqxx::work& tx, long long user_id, int days,
                                                 std::optional<core::Days> today = std::nullopt);

// The default of OURA_INITIAL_BACKFILL_DAYS: two years of history for a new user.
inline constexpr int default_initial_backfill_days = 730;

struct UserConnected {
    long long resumed_jobs = 0;                 // parked jobs (dead grant) made pending again
    std::optional<long long> initial_backfill;  // requested now (the user is new)
};
// Everything that follows a user (re)connecting, in the transaction that stores their new tokens:
// their parked jobs resume and, the first time, their initial backfill is requested. For
// `oura-admin users add` and the OAuth callback alike.
UserConnected user_connected(pqxx::work& tx, long long user_id, int initial_backfill_days,
                             std::optional<core::Days> today = std::nullopt);

// What a chunk job carries (its payload, JSON): resource, window and the UTC offset its time
// series run at (the user's when the request was made, 0 when unknown).
struct BackfillChunkJob {
    std::string resource;
    core::Days from{}, to{};
    int utc_offset_minutes = 0;
};
// Throws std::invalid_argument for a payload that is not a chunk's.
BackfillChunkJob parse_chunk_payload(const std::string& payload_json);

// In the transaction that completes the chunk's job: what its run wrote, and every backfill it
// belongs to becomes succeeded or failed when this was its last live chunk.
void record_chunk_success(pqxx::work& tx, long long job_id, long long rows_written, long long requests);
// In the transaction that fails, parks or buries the chunk's job: settles its backfills likewise.
void settle_backfills_of_job(pqxx::work& tx, long long job_id);
// Settles every running backfill that has no live chunk left (chunks buried by a claim after their
// worker died on the last attempt end without a worker settling them); returns how many.
long long settle_idle_backfills(pqxx::work& tx);

// Cancels the backfill and its live chunk jobs (those another running backfill shares are left to
// it). False when the backfill is unknown or not running.
bool cancel_backfill(pqxx::work& tx, long long id);
// Queues the dead and failed chunks of a finished or running backfill again (fresh attempts) and
// makes it running; returns how many. Throws std::invalid_argument for an unknown or cancelled one.
long long retry_failed_chunks(pqxx::work& tx, long long id);

struct BackfillProgress {
    std::string resource;  // empty in the totals row
    long long total = 0, succeeded = 0, running = 0, pending = 0, waiting_token = 0, failed = 0, cancelled = 0;
    long long rows_written = 0, requests = 0;
    long long remaining() const { return pending + running + waiting_token; }
};

struct BackfillStatus {
    long long id = 0;
    std::string state;  // running | succeeded | failed | cancelled
    std::string requested_by;
    bool all_users = false;
    std::vector<long long> user_ids;
    std::vector<std::string> resources;
    core::Days from{}, to{};
    std::string created_at, finished_at;  // ISO 8601 UTC; finished_at empty while running
    double elapsed_seconds = 0;           // created → finished (or now)
    std::vector<BackfillProgress> by_resource;  // in the request's resource order
    BackfillProgress totals;

    // Chunks finished per second since the request, and the time the rest need at that rate
    // (nullopt before the first chunk finished or once nothing remains).
    double chunks_per_second() const;
    double requests_per_second() const;
    std::optional<double> eta_seconds() const;
};

std::optional<BackfillStatus> backfill_status(pqxx::work& tx, long long id);
// The newest `limit` backfills, newest first, with their progress.
std::vector<BackfillStatus> list_backfills(pqxx::work& tx, int limit);
// Chunks of running backfills by job state (the oura_backfill_chunks{state} gauge).
std::vector<std::pair<std::string, long long>> active_backfill_chunks(pqxx::work& tx);

}  // namespace oura::store
