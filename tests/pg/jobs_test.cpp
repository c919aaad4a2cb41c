// The job queue as its workers see it, against PostgreSQL, connected as the services' writer role.
// Lease expiry is the database's clock: tests move lease_until or run_after into the past (as the
// cluster's owner) instead of sleeping.
#include <catch2/catch.hpp>

#include <chrono>
#include <future>
#include <set>

#include "harness.hpp"
#include "oura/store/database.hpp"
#include "oura/store/jobs.hpp"
#include "oura/store/sync_records.hpp"
#include "oura/store/users.hpp"

using namespace oura;
using namespace std::chrono_literals;
using oura::test::TestDatabase;

namespace {

constexpr auto minute = std::chrono::milliseconds(60s);

// Runs one store call in its own committed transaction.
template <typename F>
auto committed(pqxx::connection& c, F&& call) {
    pqxx::work tx(c);
    auto result = call(tx);
    tx.commit();
    return result;
}

long long add_job(pqxx::connection& c, const std::string& kind, store::EnqueueOptions options = {},
                  std::optional<long long> user = std::nullopt) {
    return committed(c, [&](pqxx::work& tx) { return store::enqueue(tx, kind, user, R"({"n":1})", options).id; });
}

std::vector<store::ClaimedJob> claim(pqxx::connection& c, const std::string& worker, int limit = 10,
                                     std::vector<std::string> kinds = {"sync"}) {
    return committed(c, [&](pqxx::work& tx) { return store::claim(tx, kinds, limit, worker, minute); });
}

std::string job_field(const TestDatabase& db, long long id, const std::string& expression) {
    return db.scalar("SELECT " + expression + " FROM oura.jobs WHERE id = " + std::to_string(id));
}

// What a dead worker leaves behind: its lease runs out.
void expire_lease(const TestDatabase& db, long long id) {
    db.scalar("UPDATE oura.jobs SET lease_until = now() - interval '1 second' WHERE id = " + std::to_string(id) + " RETURNING id");
}

void make_due(const TestDatabase& db, long long id) {
    db.scalar("UPDATE oura.jobs SET run_after = now() WHERE id = " + std::to_string(id) + " RETURNING id");
}

std::vector<long long> ids(const std::vector<store::ClaimedJob>& jobs) {
    std::vector<long long> out;
    for (const auto& j : jobs) out.push_back(j.id);
    return out;
}

}  // namespace

TEST_CASE("two workers claiming at the same time never get the same job", "[pg][jobs]") {
    TestDatabase db;
    pqxx::connection a(db.writer_url()), b(db.writer_url());
    std::set<long long> queued;
    for (int i = 0; i < 12; ++i) queued.insert(add_job(a, "sync"));

    // Worker a's claim is not committed yet when worker b claims: b skips a's rows, never waits.
    pqxx::work ta(a);
    auto first = store::claim(ta, {"sync"}, 5, "worker-a", minute);
    pqxx::work tb(b);
    auto second = store::claim(tb, {"sync"}, 100, "worker-b", minute);
    tb.commit();
    ta.commit();

    CHECK(first.size() == 5);
    CHECK(second.size() == 7);
    std::set<long long> seen;
    for (const auto& j : first) seen.insert(j.id);
    for (const auto& j : second) seen.insert(j.id);
    CHECK(seen == queued);
    CHECK(claim(a, "worker-c").empty());
    CHECK(db.scalar("SELECT count(*) FROM oura.jobs WHERE state = 'running' AND locked_by = 'worker-b'") == "7");
}

TEST_CASE("workers racing on one queue run every job exactly once", "[pg][jobs]") {
    TestDatabase db;
    {
        pqxx::connection c(db.writer_url());
        pqxx::work tx(c);
        for (int i = 0; i < 200; ++i) store::enqueue(tx, "sync", std::nullopt, "{}");
        tx.commit();
    }
    store::Pool pool(db.writer_url(), 4);
    auto work = [&](const std::string& name) {
        int done = 0;
        for (;;) {
            auto jobs = store::claim(pool, {"sync"}, 3, name, minute);
            if (jobs.empty()) return done;
            for (const auto& job : jobs) {
                pool.transact([&](store::Transaction& tx) { store::complete(tx, job.id, job.generation); });
                ++done;
            }
        }
    };
    std::vector<std::future<int>> workers;
    for (int w = 0; w < 4; ++w) workers.push_back(std::async(std::launch::async, work, "worker-" + std::to_string(w)));
    int total = 0;
    for (auto& w : workers) total += w.get();
    CHECK(total == 200);
    CHECK(db.scalar("SELECT count(*) FILTER (WHERE state = 'succeeded' AND attempts = 1 AND lease_generation = 1) FROM oura.jobs") == "200");
}

TEST_CASE("an expired lease is re-claimed by another worker and the first worker's late completion changes nothing", "[pg][jobs]") {
    TestDatabase db;
    pqxx::connection c(db.writer_url());
    auto id = add_job(c, "sync");
    auto mine = claim(c, "worker-a");
    REQUIRE(mine.size() == 1);
    CHECK(mine[0].attempt == 1);
    CHECK(mine[0].payload == R"({"n": 1})");

    expire_lease(db, id);
    auto theirs = claim(c, "worker-b");
    REQUIRE(theirs.size() == 1);
    CHECK(theirs[0].id == id);
    CHECK(theirs[0].attempt == 2);
    CHECK(theirs[0].generation == mine[0].generation + 1);

    // The first worker finishes late: its data rows and its completion go in one transaction, and
    // the refused completion takes the data rows down with it.
    {
        pqxx::work tx(c);
        store::start_run(tx, "backfill");
        CHECK_THROWS_AS(store::complete(tx, id, mine[0].generation), store::lease_lost);
    }
    {
        pqxx::work tx(c);
        CHECK_THROWS_AS(store::fail(tx, id, mine[0].generation, "late", true), store::lease_lost);
    }
    CHECK(db.scalar("SELECT count(*) FROM oura.sync_runs") == "0");
    CHECK(job_field(db, id, "state || ' ' || locked_by || ' ' || lease_generation || ' ' || (last_error IS NULL)") ==
          "running worker-b " + std::to_string(theirs[0].generation) + " true");

    committed(c, [&](pqxx::work& tx) {
        store::complete(tx, id, theirs[0].generation);
        return 0;
    });
    CHECK(job_field(db, id, "state || ' ' || (finished_at IS NOT NULL) || ' ' || (lease_until IS NULL)") == "succeeded true true");
}

TEST_CASE("a heartbeat keeps a lease alive and is refused once the job was lost", "[pg][jobs]") {
    TestDatabase db;
    pqxx::connection c(db.writer_url());
    auto id = add_job(c, "sync");
    auto mine = claim(c, "worker-a");
    REQUIRE(mine.size() == 1);
    auto gen = mine[0].generation;

    // Late but not yet re-claimed: the heartbeat renews the lease and nobody else can take the job.
    expire_lease(db, id);
    CHECK(committed(c, [&](pqxx::work& tx) { return store::heartbeat(tx, id, gen, std::chrono::hours(1)); }));
    CHECK(job_field(db, id, "lease_until > now() + interval '59 minutes'") == "t");
    CHECK(claim(c, "worker-b").empty());

    expire_lease(db, id);
    auto theirs = claim(c, "worker-b");
    REQUIRE(theirs.size() == 1);
    auto lease_before = job_field(db, id, "lease_until");
    CHECK_FALSE(committed(c, [&](pqxx::work& tx) { return store::heartbeat(tx, id, gen, std::chrono::hours(1)); }));
    CHECK(job_field(db, id, "lease_until") == lease_before);
    CHECK(committed(c, [&](pqxx::work& tx) { return store::heartbeat(tx, id, theirs[0].generation, minute); }));
}

TEST_CASE("failed attempts are retried later and later until the job is dead with its last error", "[pg][jobs]") {
    TestDatabase db;
    pqxx::connection c(db.writer_url());
    store::EnqueueOptions options;
    options.max_attempts = 4;
    auto id = add_job(c, "sync", options);
    store::RetryPolicy policy{1s, 1h, [] { return 1.0; }};  // the top of each jitter range: delays show the doubling

    std::vector<std::string> delays;
    for (int attempt = 1; attempt <= 3; ++attempt) {
        auto jobs = claim(c, "worker");
        REQUIRE(jobs.size() == 1);
        CHECK(jobs[0].attempt == attempt);
        auto outcome = committed(c, [&](pqxx::work& tx) {
            return store::fail(tx, id, jobs[0].generation, "boom " + std::to_string(attempt), true, policy);
        });
        CHECK(outcome == store::FailOutcome::retrying);
        CHECK(job_field(db, id, "state || ' ' || last_error") == "pending boom " + std::to_string(attempt));
        // Not claimable before its run_after.
        CHECK(claim(c, "worker").empty());
        delays.push_back(job_field(db, id, "extract(epoch FROM run_after - updated_at)::int"));
        make_due(db, id);
    }
    CHECK(delays == std::vector<std::string>{"1", "2", "4"});

    auto last = claim(c, "worker");
    REQUIRE(last.size() == 1);
    CHECK(last[0].attempt == 4);
    auto outcome = committed(c, [&](pqxx::work& tx) { return store::fail(tx, id, last[0].generation, "boom 4", true, policy); });
    CHECK(outcome == store::FailOutcome::dead);
    CHECK(job_field(db, id, "state || ' ' || attempts || ' ' || last_error || ' ' || (finished_at IS NOT NULL)") == "dead 4 boom 4 true");
    make_due(db, id);
    CHECK(claim(c, "worker").empty());
}

TEST_CASE("a failure not worth retrying stops the job at once", "[pg][jobs]") {
    TestDatabase db;
    pqxx::connection c(db.writer_url());
    auto id = add_job(c, "sync");
    auto jobs = claim(c, "worker");
    REQUIRE(jobs.size() == 1);
    auto outcome = committed(c, [&](pqxx::work& tx) { return store::fail(tx, id, jobs[0].generation, "403 forbidden", false); });
    CHECK(outcome == store::FailOutcome::failed);
    CHECK(job_field(db, id, "state || ' ' || attempts || ' ' || last_error") == "failed 1 403 forbidden");
}

TEST_CASE("a job whose lease runs out on its last attempt goes to the dead letter instead of running again", "[pg][jobs]") {
    TestDatabase db;
    pqxx::connection c(db.writer_url());
    store::EnqueueOptions options;
    options.max_attempts = 2;
    auto id = add_job(c, "sync", options);
    REQUIRE(claim(c, "worker-a").size() == 1);
    expire_lease(db, id);
    REQUIRE(claim(c, "worker-b").size() == 1);
    expire_lease(db, id);
    CHECK(claim(c, "worker-c").empty());
    CHECK(job_field(db, id, "state || ' ' || attempts || ' ' || (last_error LIKE '%lease expired%')") == "dead 2 true");
}

TEST_CASE("a duplicate enqueue returns the live job's id and a finished job lets the same work be queued again", "[pg][jobs]") {
    TestDatabase db;
    pqxx::connection c(db.writer_url());
    store::EnqueueOptions options;
    options.dedupe_key = "user 1 sleep 2026-01";
    auto enqueue = [&] { return committed(c, [&](pqxx::work& tx) { return store::enqueue(tx, "sync", std::nullopt, "{}", options); }); };

    auto first = enqueue();
    CHECK(first.created);
    auto again = enqueue();
    CHECK_FALSE(again.created);
    CHECK(again.id == first.id);
    // Another kind with the same key is other work.
    CHECK(committed(c, [&](pqxx::work& tx) { return store::enqueue(tx, "webhook", std::nullopt, "{}", options); }).created);

    // Still one job while it runs.
    auto jobs = claim(c, "worker");
    REQUIRE(jobs.size() == 1);
    CHECK(enqueue().id == first.id);
    committed(c, [&](pqxx::work& tx) {
        store::complete(tx, first.id, jobs[0].generation);
        return 0;
    });

    auto later = enqueue();
    CHECK(later.created);
    CHECK(later.id != first.id);
    CHECK(db.scalar("SELECT count(*) FROM oura.jobs WHERE kind = 'sync'") == "2");
}

TEST_CASE("jobs are claimed by priority, then by age, and not before their run_after", "[pg][jobs]") {
    TestDatabase db;
    pqxx::connection c(db.writer_url());
    auto with_priority = [](int p) {
        store::EnqueueOptions o;
        o.priority = p;
        return o;
    };
    auto low = add_job(c, "sync", with_priority(200));
    auto urgent = add_job(c, "sync", with_priority(10));
    auto normal = add_job(c, "sync", with_priority(100));
    auto normal_later = add_job(c, "sync", with_priority(100));
    auto future = with_priority(0);
    future.run_after = std::chrono::system_clock::now() + 1h;
    add_job(c, "sync", future);
    add_job(c, "other", with_priority(0));

    CHECK(ids(claim(c, "worker", 2)) == std::vector<long long>{urgent, normal});
    CHECK(ids(claim(c, "worker", 10)) == std::vector<long long>{normal_later, low});
    CHECK(claim(c, "worker", 10).empty());
}

TEST_CASE("a cancelled job is never claimed and its running worker's completion is refused", "[pg][jobs]") {
    TestDatabase db;
    pqxx::connection c(db.writer_url());
    auto pending = add_job(c, "sync");
    CHECK(committed(c, [&](pqxx::work& tx) { return store::cancel(tx, pending); }));
    CHECK(job_field(db, pending, "state") == "cancelled");
    CHECK(claim(c, "worker").empty());
    CHECK_FALSE(committed(c, [&](pqxx::work& tx) { return store::cancel(tx, pending); }));

    auto running = add_job(c, "sync");
    auto jobs = claim(c, "worker");
    REQUIRE(jobs.size() == 1);
    CHECK(committed(c, [&](pqxx::work& tx) { return store::cancel(tx, running); }));
    CHECK_FALSE(committed(c, [&](pqxx::work& tx) { return store::heartbeat(tx, running, jobs[0].generation, minute); }));
    pqxx::work tx(c);
    CHECK_THROWS_AS(store::complete(tx, running, jobs[0].generation), store::lease_lost);
    tx.abort();
    CHECK(job_field(db, running, "state") == "cancelled");
}

TEST_CASE("a parked job waits for its user to reconnect without spending its attempts", "[pg][jobs]") {
    TestDatabase db;
    pqxx::connection c(db.writer_url());
    auto user = committed(c, [](pqxx::work& tx) { return store::upsert_user(tx, "parked", "").user_id; });
    auto other = committed(c, [](pqxx::work& tx) { return store::upsert_user(tx, "fine", "").user_id; });
    store::EnqueueOptions options;
    options.dedupe_key = "chunk 1";
    options.max_attempts = 1;
    auto id = add_job(c, "sync", options, user);
    auto jobs = claim(c, "worker");
    REQUIRE(jobs.size() == 1);
    CHECK(jobs[0].user_id == user);
    committed(c, [&](pqxx::work& tx) {
        store::park(tx, id, jobs[0].generation, "grant revoked");
        return 0;
    });
    CHECK(job_field(db, id, "state || ' ' || attempts || ' ' || last_error") == "waiting_token 0 grant revoked");
    CHECK(claim(c, "worker").empty());
    // Parked work is live work: the same chunk is not queued beside it.
    CHECK(add_job(c, "sync", options, user) == id);

    CHECK(committed(c, [&](pqxx::work& tx) { return store::resume_parked(tx, other); }) == 0);
    CHECK(committed(c, [&](pqxx::work& tx) { return store::resume_parked(tx, user); }) == 1);
    auto resumed = claim(c, "worker");
    REQUIRE(resumed.size() == 1);
    CHECK(resumed[0].id == id);
    CHECK(resumed[0].attempt == 1);  // its only attempt is still there
}

TEST_CASE("queue statistics count jobs by kind and state and age the oldest due job", "[pg][jobs]") {
    TestDatabase db;
    pqxx::connection c(db.writer_url());
    auto old = add_job(c, "sync");
    add_job(c, "sync");
    add_job(c, "webhook");
    db.scalar("UPDATE oura.jobs SET run_after = now() - interval '90 seconds' WHERE id = " + std::to_string(old) + " RETURNING id");
    REQUIRE(claim(c, "worker", 1, {"webhook"}).size() == 1);

    auto stats = committed(c, [](pqxx::work& tx) { return store::queue_stats(tx); });
    REQUIRE(stats.counts.size() == 2);
    CHECK((stats.counts[0].kind == "sync" && stats.counts[0].state == "pending" && stats.counts[0].count == 2));
    CHECK((stats.counts[1].kind == "webhook" && stats.counts[1].state == "running" && stats.counts[1].count == 1));
    REQUIRE(stats.oldest_due_seconds.size() == 1);
    CHECK(stats.oldest_due_seconds[0].first == "sync");
    CHECK(stats.oldest_due_seconds[0].second >= 90.0);
    CHECK(stats.oldest_due_seconds[0].second < 150.0);
}

TEST_CASE("an idle worker wakes within moments of an enqueue committed on another connection", "[pg][jobs]") {
    TestDatabase db;
    store::JobWaiter waiter(db.writer_url(), {"sync"});
    constexpr auto fallback = std::chrono::milliseconds(30s);
    auto woke = std::async(std::launch::async, [&] {
        auto start = std::chrono::steady_clock::now();
        bool announced = waiter.wait(fallback);
        return std::make_pair(announced, std::chrono::steady_clock::now() - start);
    });
    pqxx::connection c(db.writer_url());
    add_job(c, "sync");
    auto [announced, waited] = woke.get();
    CHECK(announced);
    CHECK(waited < fallback / 6);
    CHECK(claim(c, "worker").size() == 1);
}

TEST_CASE("a waiter sleeps through other kinds and retries that are not due, and returns at its timeout", "[pg][jobs]") {
    TestDatabase db;
    store::JobWaiter waiter(db.writer_url(), {"sync"});
    pqxx::connection c(db.writer_url());
    add_job(c, "webhook");
    store::EnqueueOptions later;
    later.run_after = std::chrono::system_clock::now() + 1h;
    add_job(c, "sync", later);
    auto start = std::chrono::steady_clock::now();
    CHECK_FALSE(waiter.wait(300ms));
    CHECK(std::chrono::steady_clock::now() - start >= 300ms);

    // An announcement made before the worker got round to waiting is not lost.
    add_job(c, "sync");
    CHECK(waiter.wait(30s));
}

TEST_CASE("a waiter whose connection is cut wakes its worker and listens again on a new one", "[pg][jobs]") {
    TestDatabase db;
    store::JobWaiter waiter(db.writer_url(), {"sync"});
    pqxx::connection c(db.writer_url());
    // What a PostgreSQL restart or a failover does to the waiter's session.
    CHECK(db.scalar("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND query LIKE 'LISTEN%'") == "1");
    add_job(c, "sync");
    auto start = std::chrono::steady_clock::now();
    // Announcements may have been lost with the connection: the worker is sent to claim, and the
    // reconnect that follows does the same, never an exception.
    CHECK(waiter.wait(30s));
    CHECK(waiter.wait(30s));
    CHECK(std::chrono::steady_clock::now() - start < 5s);
    CHECK_FALSE(waiter.wait(200ms));
    add_job(c, "sync");
    start = std::chrono::steady_clock::now();
    CHECK(waiter.wait(30s));
    CHECK(std::chrono::steady_clock::now() - start < 5s);
}

TEST_CASE("parking all of a user's pending jobs leaves other users and running jobs alone", "[pg][jobs]") {
    TestDatabase db;
    pqxx::connection c(db.writer_url());
    auto a = committed(c, [](pqxx::work& tx) { return store::upsert_user(tx, "user-a", "").user_id; });
    auto b = committed(c, [](pqxx::work& tx) { return store::upsert_user(tx, "user-b", "").user_id; });
    auto running = add_job(c, "sync", {}, a);
    REQUIRE(claim(c, "w", 1).size() == 1);
    for (int i = 0; i < 3; ++i) add_job(c, "sync", {}, a);
    add_job(c, "other", {}, a);
    add_job(c, "sync", {}, b);
    auto parked = committed(c, [&](pqxx::work& tx) { return store::park_all_for_user(tx, a, "grant is dead", {"sync"}); });
    CHECK(parked == 3);
    CHECK(job_field(db, running, "state") == "running");
    CHECK(db.scalar("SELECT count(*) FROM oura.jobs WHERE state = 'pending'") == "2");
    CHECK(committed(c, [&](pqxx::work& tx) { return store::resume_parked(tx, a); }) == 3);
}

TEST_CASE("retention deletes finished jobs older than the horizon, a bounded batch at a time", "[pg][jobs]") {
    TestDatabase db;
    pqxx::connection c(db.writer_url());
    for (int i = 0; i < 5; ++i) add_job(c, "sync");
    auto live = add_job(c, "sync");
    db.scalar("WITH done AS (UPDATE oura.jobs SET state = 'succeeded', finished_at = now() - interval '2 days' WHERE id <> " +
              std::to_string(live) + " RETURNING 1) SELECT count(*) FROM done");
    auto recent = add_job(c, "sync");
    db.scalar("UPDATE oura.jobs SET state = 'dead', finished_at = now() WHERE id = " + std::to_string(recent) + " RETURNING 1");
    CHECK(committed(c, [](pqxx::work& tx) { return store::prune_finished_jobs(tx, std::chrono::hours(24), 3); }) == 3);
    CHECK(committed(c, [](pqxx::work& tx) { return store::prune_finished_jobs(tx, std::chrono::hours(24), 3); }) == 2);
    CHECK(committed(c, [](pqxx::work& tx) { return store::prune_finished_jobs(tx, std::chrono::hours(24), 3); }) == 0);
    CHECK(db.scalar("SELECT count(*) FROM oura.jobs") == "2");
}
