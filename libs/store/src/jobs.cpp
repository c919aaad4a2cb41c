#include "oura/store/jobs.hpp"

#include <algorithm>
#include <cmath>
#include <random>

#include "oura/core/time.hpp"
#include "oura/store/database.hpp"
#include "oura/store/documents.hpp"
#include "listener.hpp"
#include "statement.hpp"

namespace oura::store {
namespace {

// Live states: the ones the partial unique index jobs_live_dedupe_key covers (migration 0010). The
// ON CONFLICT target must repeat its predicate for PostgreSQL to infer that index.
constexpr Statement insert_job{"insert_job", R"sql(
    WITH inserted AS (
        INSERT INTO oura.jobs (kind, user_id, payload, priority, max_attempts, run_after, dedupe_key)
        VALUES ($1, $2::bigint, $3::jsonb, $4, $5, COALESCE($6::timestamptz, now()), NULLIF($7, ''))
        ON CONFLICT (kind, dedupe_key)
           WHERE dedupe_key IS NOT NULL AND state IN ('pending', 'running', 'waiting_token')
        DO NOTHING
        RETURNING id
    )
    SELECT id, true FROM inserted
    UNION ALL
    SELECT id, false FROM oura.jobs
     WHERE kind = $1 AND dedupe_key = NULLIF($7, '') AND state IN ('pending', 'running', 'waiting_token')
    LIMIT 1
)sql"};

// A job whose lease ran out on its last allowed attempt would otherwise be claimed forever by
// workers it kills (a poison job): it goes to the dead letter instead.
constexpr Statement bury_expired_jobs{"bury_expired_jobs", R"sql(
    UPDATE oura.jobs
       SET state = 'dead', finished_at = now(), lease_until = NULL, updated_at = now(),
           last_error = COALESCE(last_error || '; then ', '') ||
                        'the lease expired during the last allowed attempt (the worker died or hung)'
     WHERE id IN (SELECT id FROM oura.jobs
                   WHERE state = 'running' AND lease_until < now() AND attempts >= max_attempts
                     AND kind = ANY ($1::text[])
                     FOR UPDATE SKIP LOCKED)
)sql"};

// The CTE with LIMIT ... FOR UPDATE SKIP LOCKED locks exactly the rows it returns; a plain
// UPDATE ... WHERE id IN (subquery) may be planned so that it locks more than `limit` rows.
constexpr Statement claim_jobs{"claim_jobs", R"sql(
    WITH due AS (
        SELECT id FROM oura.jobs
         WHERE kind = ANY ($1::text[])
           AND ((state = 'pending' AND run_after <= now()) OR (state = 'running' AND lease_until < now()))
         ORDER BY priority, run_after, id
         LIMIT $2
           FOR UPDATE SKIP LOCKED
    ), claimed AS (
        UPDATE oura.jobs j
           SET state = 'running', attempts = j.attempts + 1, lease_generation = j.lease_generation + 1,
               lease_until = now() + $4::bigint * interval '1 millisecond', locked_by = $3, updated_at = now()
          FROM due
         WHERE j.id = due.id
        RETURNING j.id, j.kind, j.user_id, j.payload, j.attempts, j.max_attempts, j.lease_generation, j.priority, j.run_after
    )
    SELECT id, kind, user_id, payload::text, attempts, max_attempts, lease_generation
      FROM claimed
     ORDER BY priority, run_after, id
)sql"};

// Every write a worker makes about its job matches the generation it claimed and state running:
// after a re-claim (new generation) or a cancel (state) it updates nothing.
constexpr Statement extend_lease{"extend_lease", R"sql(
    UPDATE oura.jobs SET lease_until = now() + $3::bigint * interval '1 millisecond', updated_at = now()
     WHERE id = $1 AND lease_generation = $2 AND state = 'running'
)sql"};

constexpr Statement complete_job{"complete_job", R"sql(
    UPDATE oura.jobs SET state = 'succeeded', finished_at = now(), lease_until = NULL, updated_at = now()
     WHERE id = $1 AND lease_generation = $2 AND state = 'running'
)sql"};

constexpr Statement release_job{"release_job", R"sql(
    UPDATE oura.jobs
       SET state = 'pending', attempts = greatest(attempts - 1, 0), run_after = now(), lease_until = NULL,
           updated_at = now()
     WHERE id = $1 AND lease_generation = $2 AND state = 'running'
)sql"};

constexpr Statement lock_running_job{"lock_running_job", R"sql(
    SELECT attempts, max_attempts FROM oura.jobs
     WHERE id = $1 AND lease_generation = $2 AND state = 'running'
       FOR UPDATE
)sql"};

constexpr Statement retry_job{"retry_job", R"sql(
    UPDATE oura.jobs
       SET state = 'pending', run_after = now() + $2::bigint * interval '1 millisecond', lease_until = NULL,
           last_error = $3, updated_at = now()
     WHERE id = $1
)sql"};

constexpr Statement end_job{"end_job", R"sql(
    UPDATE oura.jobs SET state = $2, finished_at = now(), lease_until = NULL, last_error = $3, updated_at = now()
     WHERE id = $1
)sql"};

constexpr Statement park_job{"park_job", R"sql(
    UPDATE oura.jobs
       SET state = 'waiting_token', attempts = greatest(attempts - 1, 0), lease_until = NULL, last_error = $3,
           updated_at = now()
     WHERE id = $1 AND lease_generation = $2 AND state = 'running'
)sql"};

constexpr Statement resume_parked_jobs{"resume_parked_jobs", R"sql(
    UPDATE oura.jobs SET state = 'pending', run_after = now(), updated_at = now()
     WHERE user_id = $1 AND state = 'waiting_token'
)sql"};

constexpr Statement park_user_jobs{"park_user_jobs", R"sql(
    UPDATE oura.jobs
       SET state = 'waiting_token', last_error = $2, updated_at = now()
     WHERE user_id = $1 AND state = 'pending' AND (cardinality($3::text[]) = 0 OR kind = ANY ($3::text[]))
)sql"};

// jobs_finished_idx serves the inner scan; LIMIT bounds each statement's locks and WAL.
constexpr Statement prune_jobs{"prune_finished_jobs", R"sql(
    DELETE FROM oura.jobs
     WHERE id IN (SELECT id FROM oura.jobs
                   WHERE state IN ('succeeded', 'failed', 'dead', 'cancelled')
                     AND finished_at < now() - $1::bigint * interval '1 second'
                   ORDER BY finished_at
                   LIMIT $2
                     FOR UPDATE SKIP LOCKED)
)sql"};

constexpr Statement cancel_job{"cancel_job", R"sql(
    UPDATE oura.jobs SET state = 'cancelled', finished_at = now(), lease_until = NULL, updated_at = now()
     WHERE id = $1 AND state IN ('pending', 'running', 'waiting_token')
)sql"};

constexpr Statement count_jobs{"count_jobs", R"sql(
    SELECT kind, state, count(*) FROM oura.jobs GROUP BY kind, state ORDER BY kind, state
)sql"};

constexpr Statement oldest_due_jobs{"oldest_due_jobs", R"sql(
    SELECT kind, extract(epoch FROM now() - min(run_after))::float8
      FROM oura.jobs
     WHERE state = 'pending' AND run_after <= now()
     GROUP BY kind
     ORDER BY kind
)sql"};

// last_error is for operators; an exception's message of megabytes (a response body) is cut, at a
// UTF-8 character boundary because PostgreSQL rejects a broken sequence.
constexpr std::size_t max_error_bytes = 2000;

std::string clip_error(const std::string& error) {
    if (error.size() <= max_error_bytes) return error;
    std::size_t end = max_error_bytes;
    while (end > 0 && (static_cast<unsigned char>(error[end]) & 0xC0) == 0x80) --end;
    return error.substr(0, end) + "…";
}

double thread_random() {
    thread_local std::mt19937_64 engine{std::random_device{}()};
    return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
}

void require_owner(const pqxx::result& r, long long id, long long generation) {
    if (r.affected_rows() == 0)
        throw lease_lost("job " + std::to_string(id) + " is no longer held with generation " + std::to_string(generation) +
                         " (its lease expired and it was claimed again, or it was cancelled)");
}

}  // namespace

Enqueued enqueue(pqxx::work& tx, const std::string& kind, std::optional<long long> user_id, const std::string& payload_json,
                 const EnqueueOptions& options) {
    std::string user = user_id ? std::to_string(*user_id) : "";
    std::string run_after = options.run_after ? core::format_utc_millis(*options.run_after) : "";
    // A conflict with a live job committed after this statement's snapshot was taken leaves both
    // halves of the statement empty; the next statement has a newer snapshot that sees that job.
    for (int tries = 0; tries < 5; ++tries) {
        auto r = exec(tx, insert_job, kind, user_id ? user.c_str() : nullptr, payload_json, options.priority,
                      options.max_attempts, options.run_after ? run_after.c_str() : nullptr, options.dedupe_key);
        if (!r.empty()) return {r[0][0].as<long long>(), r[0][1].as<bool>()};
    }
    throw retryable_error("enqueue of " + kind + " kept racing with another enqueue of key " + options.dedupe_key);
}

std::vector<ClaimedJob> claim(pqxx::work& tx, const std::vector<std::string>& kinds, int limit, const std::string& worker,
                              std::chrono::milliseconds lease) {
    auto kind_array = to_pg_array(kinds);
    exec(tx, bury_expired_jobs, kind_array);
    std::vector<ClaimedJob> out;
    for (const auto& row : exec(tx, claim_jobs, kind_array, limit, worker, static_cast<long long>(lease.count()))) {
        ClaimedJob job;
        job.id = row[0].as<long long>();
        job.kind = row[1].as<std::string>();
        if (!row[2].is_null()) job.user_id = row[2].as<long long>();
        job.payload = row[3].as<std::string>();
        job.attempt = row[4].as<int>();
        job.max_attempts = row[5].as<int>();
        job.generation = row[6].as<long long>();
        out.push_back(std::move(job));
    }
    return out;
}

std::vector<ClaimedJob> claim(Pool& pool, const std::vector<std::string>& kinds, int limit, const std::string& worker,
                              std::chrono::milliseconds lease) {
    return pool.transact([&](Transaction& tx) { return claim(tx, kinds, limit, worker, lease); });
}

bool heartbeat(pqxx::work& tx, long long id, long long generation, std::chrono::milliseconds lease) {
    return exec(tx, extend_lease, id, generation, static_cast<long long>(lease.count())).affected_rows() == 1;
}

void complete(pqxx::work& tx, long long id, long long generation) {
    require_owner(exec(tx, complete_job, id, generation), id, generation);
}

void release(pqxx::work& tx, long long id, long long generation) {
    require_owner(exec(tx, release_job, id, generation), id, generation);
}

std::chrono::milliseconds retry_delay(int attempt, std::chrono::milliseconds base, std::chrono::milliseconds cap,
                                      double random) {
    // Doubling in floating point: 2^(attempt-1) overflows no integer, and the cap bounds the result.
    int exponent = std::clamp(attempt, 1, 1000) - 1;
    double ceiling = std::min(static_cast<double>(cap.count()), static_cast<double>(base.count()) * std::ldexp(1.0, exponent));
    return std::chrono::milliseconds(std::llround(std::clamp(random, 0.0, 1.0) * ceiling));
}

FailOutcome fail(pqxx::work& tx, long long id, long long generation, const std::string& error, bool retryable,
                 const RetryPolicy& policy) {
    auto locked = exec(tx, lock_running_job, id, generation);
    require_owner(locked, id, generation);
    int attempts = locked[0][0].as<int>();
    int max_attempts = locked[0][1].as<int>();
    auto message = clip_error(error);
    if (retryable && attempts < max_attempts) {
        double random = policy.random ? policy.random() : thread_random();
        auto delay = retry_delay(attempts, policy.base, policy.cap, random);
        exec(tx, retry_job, id, static_cast<long long>(delay.count()), message);
        return FailOutcome::retrying;
    }
    auto outcome = retryable ? FailOutcome::dead : FailOutcome::failed;
    exec(tx, end_job, id, std::string(outcome == FailOutcome::dead ? "dead" : "failed"), message);
    return outcome;
}

void park(pqxx::work& tx, long long id, long long generation, const std::string& reason) {
    require_owner(exec(tx, park_job, id, generation, clip_error(reason)), id, generation);
}

long long resume_parked(pqxx::work& tx, long long user_id) {
    return static_cast<long long>(exec(tx, resume_parked_jobs, user_id).affected_rows());
}

long long park_all_for_user(pqxx::work& tx, long long user_id, const std::string& reason,
                            const std::vector<std::string>& kinds) {
    return static_cast<long long>(exec(tx, park_user_jobs, user_id, clip_error(reason), to_pg_array(kinds)).affected_rows());
}

long long prune_finished_jobs(pqxx::work& tx, std::chrono::seconds older_than, int batch) {
    return static_cast<long long>(
        exec(tx, prune_jobs, static_cast<long long>(older_than.count()), batch).affected_rows());
}

bool cancel(pqxx::work& tx, long long id) { return exec(tx, cancel_job, id).affected_rows() == 1; }

QueueStats queue_stats(pqxx::work& tx) {
    QueueStats stats;
    for (const auto& row : exec(tx, count_jobs))
        stats.counts.push_back({row[0].as<std::string>(), row[1].as<std::string>(), row[2].as<long long>()});
    for (const auto& row : exec(tx, oldest_due_jobs)) stats.oldest_due_seconds.emplace_back(row[0].as<std::string>(), row[1].as<double>());
    return stats;
}

// ---------------------------------------------------------------------------------------------

struct JobWaiter::State : Listener {
    State(const std::string& url, std::vector<std::string> wanted_kinds)
        : Listener(url, job_channel, [this](const std::string& kind) {
              return std::find(kinds.begin(), kinds.end(), kind) != kinds.end();
          }),
          kinds(std::move(wanted_kinds)) {}
    std::vector<std::string> kinds;
};

JobWaiter::JobWaiter(const std::string& database_url, std::vector<std::string> kinds)
    : state_(std::make_unique<State>(database_url, std::move(kinds))) {
    state_->open();
}

JobWaiter::~JobWaiter() = default;

bool JobWaiter::wait(std::chrono::milliseconds timeout) { return state_->wait(timeout); }

}  // namespace oura::store
