#pragma once
// The durable job queue (oura.jobs): generic work (a kind and JSON arguments) that backfill chunks,
// webhook processing and outbound calls share. DESIGN §5.
//
// A worker claims jobs under a lease (FOR UPDATE SKIP LOCKED, so concurrent workers never take the
// same job), heartbeats while it works, and ends each job with complete / fail / park in the same
// transaction as the job's data rows and cursor, so they commit together. Every claim increments the
// job's generation (fencing token); every write a worker makes about its job names the generation
// it claimed, so a worker whose lease expired and whose job was re-claimed cannot overwrite the new
// owner's work: it gets lease_lost and its transaction must roll back.

#include <pqxx/pqxx>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace oura::store {

class Pool;

// The worker no longer owns the job: its lease expired and another worker re-claimed it, or the job
// was cancelled. Thrown before anything is written; the caller lets its transaction roll back so
// the data rows written for the job in the same transaction are discarded too.
class lease_lost : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// The channel the queue NOTIFYs (payload: the job's kind) whenever a job becomes claimable now.
inline constexpr const char* job_channel = "oura_jobs";

struct EnqueueOptions {
    int priority = 100;  // lower runs first
    // Not claimed before this instant; nullopt = now (the database's clock).
    std::optional<std::chrono::system_clock::time_point> run_after;
    int max_attempts = 10;
    // At most one live (pending, running or parked) job per (kind, dedupe_key); empty = no dedupe.
    std::string dedupe_key;
};

struct Enqueued {
    long long id = 0;
    bool created = false;  // false: a live job with the same dedupe_key already existed; this is its id
};

// Queues a job (user_id nullopt = application-wide) and wakes idle workers of its kind when the
// transaction commits. payload_json must be a JSON value (a SQL error otherwise).
Enqueued enqueue(pqxx::work& tx, const std::string& kind, std::optional<long long> user_id,
                 const std::string& payload_json, const EnqueueOptions& options = {});

struct ClaimedJob {
    long long id = 0;
    std::string kind;
    std::optional<long long> user_id;
    std::string payload;   // JSON text
    int attempt = 0;       // 1 for the first run
    int max_attempts = 0;
    long long generation = 0;  // fencing token: pass it to heartbeat / complete / fail / park
};

// Claims up to `limit` jobs of `kinds` that are due (pending with run_after <= now, or running with
// an expired lease), lowest priority value first, then oldest run_after, then id. Each claimed job
// gets a lease of `lease` from the database's now(), one more attempt and a new generation. Jobs
// other transactions hold locked are skipped, never waited for. A job whose lease expired after its
// last allowed attempt (its worker died on it every time) is moved to dead instead of claimed. The
// claim counts only once `tx` commits: commit it before working on the jobs.
std::vector<ClaimedJob> claim(pqxx::work& tx, const std::vector<std::string>& kinds, int limit,
                              const std::string& worker, std::chrono::milliseconds lease);
// The same in its own committed transaction on a pooled connection.
std::vector<ClaimedJob> claim(Pool& pool, const std::vector<std::string>& kinds, int limit, const std::string& worker,
                              std::chrono::milliseconds lease);

// Extends the lease to now() + `lease` while the job is still this generation's and running;
// false: the worker lost the job (re-claimed or cancelled) and should stop working on it.
bool heartbeat(pqxx::work& tx, long long id, long long generation, std::chrono::milliseconds lease);

// Marks the job succeeded. Call it in the transaction that writes the job's results. Throws
// lease_lost (writing nothing) when the job is no longer this generation's running job.
void complete(pqxx::work& tx, long long id, long long generation);

// Gives the job back unfinished (its worker is shutting down): pending and due now, the attempt
// not counted. Throws lease_lost like complete.
void release(pqxx::work& tx, long long id, long long generation);

// Full-jitter exponential backoff: a delay uniformly spread over [0, min(cap, base * 2^(attempt-1))].
// `random` is in [0, 1]; attempt 1 is the first run.
std::chrono::milliseconds retry_delay(int attempt, std::chrono::milliseconds base, std::chrono::milliseconds cap,
                                      double random);

struct RetryPolicy {
    std::chrono::milliseconds base = std::chrono::seconds(5);
    std::chrono::milliseconds cap = std::chrono::minutes(30);
    std::function<double()> random;  // uniform in [0, 1]; empty = a per-thread generator
};

enum class FailOutcome {
    retrying,  // pending again, run_after pushed out by retry_delay
    failed,    // not retryable: stopped for good
    dead,      // retryable, but max_attempts are used up: the dead letter
};

// Records a failed attempt; `error` is kept in last_error (it must hold no secret). Throws lease_lost
// (writing nothing) when the job is no longer this generation's running job.
FailOutcome fail(pqxx::work& tx, long long id, long long generation, const std::string& error, bool retryable,
                 const RetryPolicy& policy = {});

// Parks the job in waiting_token (its user's grant is dead) and gives back the attempt it was
// claimed with, so waiting never ends in the dead letter. Throws lease_lost like complete.
void park(pqxx::work& tx, long long id, long long generation, const std::string& reason);
// Makes every parked job of the user pending and due now (the user reconnected); returns how many.
long long resume_parked(pqxx::work& tx, long long user_id);

// Parks every pending job of the user (kinds empty = every kind) in waiting_token: once one of a
// user's jobs found the grant dead, the others need not each be claimed to find out. Running jobs
// are left to their workers. Returns how many were parked.
long long park_all_for_user(pqxx::work& tx, long long user_id, const std::string& reason,
                            const std::vector<std::string>& kinds = {});

// Retention: deletes at most `batch` jobs that finished (succeeded, failed, dead, cancelled) more
// than `older_than` ago, oldest first; returns how many. Call it until it returns less than
// `batch`, one transaction per call, so no statement holds many locks or runs long.
long long prune_finished_jobs(pqxx::work& tx, std::chrono::seconds older_than, int batch);

// Cancels a live job (pending, parked or running; a running job's worker finds its next heartbeat
// or completion refused). False when the job is unknown or already finished.
bool cancel(pqxx::work& tx, long long id);

struct JobCount {
    std::string kind, state;
    long long count = 0;
};
struct QueueStats {
    std::vector<JobCount> counts;  // every (kind, state) that has jobs, ordered by kind then state
    // Per kind with due pending jobs: how long the longest-waiting one has been due, in seconds.
    std::vector<std::pair<std::string, double>> oldest_due_seconds;
};
// For /metrics and the status commands.
QueueStats queue_stats(pqxx::work& tx);

// An idle worker's wake-up: LISTENs on job_channel on its own connection from construction on, so
// an enqueue committed between the worker's empty claim and its wait() still wakes it.
class JobWaiter {
public:
    // Throws database_unavailable when the database cannot be reached.
    JobWaiter(const std::string& database_url, std::vector<std::string> kinds);
    ~JobWaiter();
    JobWaiter(const JobWaiter&) = delete;
    JobWaiter& operator=(const JobWaiter&) = delete;

    // Returns true as soon as a job of one of the kinds was announced (also one announced since the
    // last wait), false after `timeout` without one: the caller then claims anyway (the slow poll
    // that covers retries becoming due and a lost connection). Never throws for a lost connection:
    // it reconnects on the next call.
    bool wait(std::chrono::milliseconds timeout);

private:
    struct State;
    std::unique_ptr<State> state_;
};

}  // namespace oura::store
