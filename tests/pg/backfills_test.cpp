// Backfill requests as the operator and the workers see them, against PostgreSQL, connected as the
// services' writer role.
#include <catch2/catch.hpp>

#include <chrono>

#include "harness.hpp"
#include "oura/api/catalog.hpp"
#include "oura/store/backfills.hpp"
#include "oura/store/database.hpp"
#include "oura/store/jobs.hpp"
#include "oura/store/users.hpp"

using namespace oura;
using namespace std::chrono_literals;
using oura::test::TestDatabase;

namespace {

template <typename F>
auto committed(pqxx::connection& c, F&& call) {
    pqxx::work tx(c);
    auto result = call(tx);
    tx.commit();
    return result;
}

long long add_user(pqxx::connection& c, const std::string& oura_id) {
    return committed(c, [&](pqxx::work& tx) { return store::upsert_user(tx, oura_id, "").user_id; });
}

core::Days day(const char* text) { return *core::parse_date(text); }

store::BackfillRequest request(std::vector<long long> users, std::vector<std::string> resources, const char* from,
                               const char* to) {
    store::BackfillRequest r;
    r.user_ids = std::move(users);
    r.resources = std::move(resources);
    r.from = day(from);
    r.to = day(to);
    return r;
}

long long count(const TestDatabase& db, const std::string& sql) { return std::stoll(db.scalar(sql)); }

// Runs every claimable chunk to the given outcome, as a worker would.
int finish_chunks(pqxx::connection& c, const std::function<void(pqxx::work&, const store::ClaimedJob&)>& end) {
    int n = 0;
    for (;;) {
        auto jobs = committed(c, [&](pqxx::work& tx) { return store::claim(tx, {"backfill_chunk"}, 50, "t", 60s); });
        if (jobs.empty()) return n;
        for (const auto& j : jobs) {
            pqxx::work tx(c);
            end(tx, j);
            tx.commit();
            ++n;
        }
    }
}

void succeed(pqxx::work& tx, const store::ClaimedJob& j) {
    store::complete(tx, j.id, j.generation);
    store::record_chunk_success(tx, j.id, 7, 2);
}

}  // namespace

TEST_CASE("a backfill request becomes chunk jobs within each resource's window limit, newest first", "[pg][backfill]") {
    TestDatabase db;
    pqxx::connection c(db.writer_url());
    auto a = add_user(c, "user-a"), b = add_user(c, "user-b");
    auto ref = committed(c, [&](pqxx::work& tx) {
        return store::request_backfill(tx, request({a, b}, {"heartrate", "daily_sleep"}, "2024-01-01", "2024-12-31"));
    });
    REQUIRE(ref.created);
    auto plan = store::plan_backfill_chunks({a, b}, {"heartrate", "daily_sleep"}, day("2024-01-01"), day("2024-12-31"));
    CHECK(ref.chunks == static_cast<int>(plan.size()));
    CHECK(count(db, "SELECT count(*) FROM oura.jobs WHERE kind = 'backfill_chunk' AND priority = 100") == ref.chunks);
    CHECK(count(db, "SELECT count(*) FROM oura.backfill_chunks WHERE backfill_id = " + std::to_string(ref.id)) == ref.chunks);

    // Every day of the window, once per user and resource, no window wider than its resource allows.
    for (const char* resource : {"heartrate", "daily_sleep"}) {
        // Time series take a day more on each side (every zone's version of the days).
        long long days = std::string(resource) == "heartrate" ? 368 : 366;
        CHECK(count(db, "SELECT sum(to_day - from_day + 1) FROM oura.backfill_chunks WHERE resource = '" +
                            std::string(resource) + "'") == 2 * days);
        CHECK(count(db, "SELECT count(*) FROM (SELECT user_id, d FROM oura.backfill_chunks, "
                        "generate_series(from_day, to_day, interval '1 day') d WHERE resource = '" +
                            std::string(resource) + "' GROUP BY 1, 2 HAVING count(*) > 1) x") == 0);
    }
    // heartrate: at most 30 days per request, the padding day included.
    CHECK(count(db, "SELECT max(to_day - from_day + 1) FROM oura.backfill_chunks WHERE resource = 'heartrate'") <= 29);

    // Workers take the newest windows first.
    auto first = committed(c, [&](pqxx::work& tx) { return store::claim(tx, {"backfill_chunk"}, 4, "w", 60s); });
    REQUIRE(first.size() == 4);
    for (const auto& j : first) {
        auto chunk = store::parse_chunk_payload(j.payload);
        CHECK(chunk.to == (chunk.resource == "heartrate" ? day("2025-01-01") : day("2024-12-31")));
    }
    auto status = committed(c, [&](pqxx::work& tx) { return store::backfill_status(tx, ref.id); });
    REQUIRE(status);
    CHECK(status->state == "running");
    CHECK(status->totals.total == ref.chunks);
    CHECK(status->totals.running == 4);
    CHECK(status->totals.pending == ref.chunks - 4);
    REQUIRE(status->by_resource.size() == 2);
    CHECK(status->by_resource[0].resource == "daily_sleep");  // catalog order
}

TEST_CASE("the same request while an equal one runs returns the running backfill and queues nothing", "[pg][backfill]") {
    TestDatabase db;
    pqxx::connection c(db.writer_url());
    auto a = add_user(c, "user-a"), b = add_user(c, "user-b");
    auto first = committed(c, [&](pqxx::work& tx) {
        return store::request_backfill(tx, request({a, b}, {"sleep", "workout"}, "2024-01-01", "2024-03-31"));
    });
    auto jobs = count(db, "SELECT count(*) FROM oura.jobs");
    auto again = committed(c, [&](pqxx::work& tx) {
        return store::request_backfill(tx, request({b, a, a}, {"workout", "sleep"}, "2024-01-01", "2024-03-31"));
    });
    CHECK_FALSE(again.created);
    CHECK(again.id == first.id);
    CHECK(again.chunks == first.chunks);
    CHECK(count(db, "SELECT count(*) FROM oura.jobs") == jobs);
    CHECK(count(db, "SELECT count(*) FROM oura.backfills") == 1);

    // A different window is a different request; its overlapping chunks would share jobs, these do not overlap.
    auto other = committed(c, [&](pqxx::work& tx) {
        return store::request_backfill(tx, request({a}, {"sleep"}, "2023-01-01", "2023-01-31"));
    });
    CHECK(other.created);
    CHECK(other.id != first.id);
}

TEST_CASE("a request naming an unknown user or resource or an inverted window writes nothing", "[pg][backfill]") {
    TestDatabase db;
    pqxx::connection c(db.writer_url());
    auto a = add_user(c, "user-a");
    auto attempt = [&](const store::BackfillRequest& r) {
        pqxx::work tx(c);
        store::request_backfill(tx, r);
        tx.commit();
    };
    CHECK_THROWS_WITH(attempt(request({a, 999}, {}, "2024-01-01", "2024-01-31")), Catch::Contains("unknown user 999"));
    CHECK_THROWS_WITH(attempt(request({a}, {"sleeep"}, "2024-01-01", "2024-01-31")), Catch::Contains("unknown resource 'sleeep'"));
    CHECK_THROWS_WITH(attempt(request({a}, {}, "2024-02-01", "2024-01-31")), Catch::Contains("after its last day"));
    CHECK(count(db, "SELECT count(*) FROM oura.backfills") == 0);
    CHECK(count(db, "SELECT count(*) FROM oura.jobs") == 0);
}

TEST_CASE("a user's initial backfill is requested once, by whichever process sees the user first", "[pg][backfill]") {
    TestDatabase db;
    pqxx::connection c(db.writer_url()), other(db.writer_url());
    auto a = add_user(c, "user-a");
    CHECK_FALSE(committed(c, [&](pqxx::work& tx) { return store::ensure_initial_backfill(tx, a, 0); }));
    auto id = committed(c, [&](pqxx::work& tx) { return store::ensure_initial_backfill(tx, a, 730, day("2026-11-30")); });
    REQUIRE(id);
    CHECK_FALSE(committed(other, [&](pqxx::work& tx) { return store::ensure_initial_backfill(tx, a, 730); }));
    auto status = committed(c, [&](pqxx::work& tx) { return store::backfill_status(tx, *id); });
    REQUIRE(status);
    CHECK(status->requested_by == "initial");
    CHECK(core::format_date(status->to) == "2026-11-30");
    CHECK(core::format_date(status->from) == "2024-12-01");
    CHECK(status->resources.size() == api::resources().size());
    CHECK(count(db, "SELECT count(*) FROM oura.backfills") == 1);
}

TEST_CASE("a backfill ends succeeded when its last chunk succeeds and failed when a chunk died", "[pg][backfill]") {
    TestDatabase db;
    pqxx::connection c(db.writer_url());
    auto a = add_user(c, "user-a");
    auto ok = committed(c, [&](pqxx::work& tx) {
        return store::request_backfill(tx, request({a}, {"sleep", "heartrate"}, "2024-01-01", "2024-02-29"));
    });
    finish_chunks(c, succeed);
    auto status = committed(c, [&](pqxx::work& tx) { return store::backfill_status(tx, ok.id); });
    CHECK(status->state == "succeeded");
    CHECK(status->totals.succeeded == ok.chunks);
    CHECK(status->totals.rows_written == 7 * ok.chunks);
    CHECK(status->totals.requests == 2 * ok.chunks);
    CHECK_FALSE(status->finished_at.empty());

    // One chunk fails for good, the rest succeed: failed, and retry-failed queues only that one.
    auto bad = committed(c, [&](pqxx::work& tx) {
        return store::request_backfill(tx, request({a}, {"workout"}, "2023-01-01", "2023-12-31"));
    });
    REQUIRE(bad.chunks > 2);
    bool failed_one = false;
    finish_chunks(c, [&](pqxx::work& tx, const store::ClaimedJob& j) {
        if (!failed_one) {
            failed_one = true;
            store::fail(tx, j.id, j.generation, "Oura answered 400", /*retryable=*/false);
            store::settle_backfills_of_job(tx, j.id);
        } else {
            succeed(tx, j);
        }
    });
    status = committed(c, [&](pqxx::work& tx) { return store::backfill_status(tx, bad.id); });
    CHECK(status->state == "failed");
    CHECK(status->totals.failed == 1);
    CHECK(status->totals.succeeded == bad.chunks - 1);

    auto requeued = committed(c, [&](pqxx::work& tx) { return store::retry_failed_chunks(tx, bad.id); });
    CHECK(requeued == 1);
    status = committed(c, [&](pqxx::work& tx) { return store::backfill_status(tx, bad.id); });
    CHECK(status->state == "running");
    CHECK(status->totals.pending == 1);
    CHECK(finish_chunks(c, succeed) == 1);
    status = committed(c, [&](pqxx::work& tx) { return store::backfill_status(tx, bad.id); });
    CHECK(status->state == "succeeded");
    CHECK(status->totals.succeeded == bad.chunks);
}

TEST_CASE("cancelling a backfill cancels its live chunks but not one another running backfill shares", "[pg][backfill]") {
    TestDatabase db;
    pqxx::connection c(db.writer_url());
    auto a = add_user(c, "user-a");
    auto first = committed(c, [&](pqxx::work& tx) {
        return store::request_backfill(tx, request({a}, {"sleep"}, "2024-01-01", "2024-06-30"));
    });
    // The same user x resource x window from a different request (more resources) shares the jobs.
    auto second = committed(c, [&](pqxx::work& tx) {
        return store::request_backfill(tx, request({a}, {"sleep", "workout"}, "2024-01-01", "2024-06-30"));
    });
    REQUIRE(second.created);
    CHECK(count(db, "SELECT count(DISTINCT job_id) FROM oura.backfill_chunks WHERE resource = 'sleep'") == first.chunks);

    CHECK(committed(c, [&](pqxx::work& tx) { return store::cancel_backfill(tx, second.id); }));
    CHECK_FALSE(committed(c, [&](pqxx::work& tx) { return store::cancel_backfill(tx, second.id); }));
    // workout chunks were second's alone; sleep chunks still serve the first backfill.
    CHECK(count(db, "SELECT count(*) FROM oura.jobs WHERE state = 'cancelled'") == second.chunks - first.chunks);
    CHECK(count(db, "SELECT count(*) FROM oura.jobs WHERE state = 'pending'") == first.chunks);
    CHECK(committed(c, [&](pqxx::work& tx) { return store::cancel_backfill(tx, first.id); }));
    CHECK(count(db, "SELECT count(*) FROM oura.jobs WHERE state = 'pending'") == 0);
    CHECK_THROWS_WITH(committed(c, [&](pqxx::work& tx) { return store::retry_failed_chunks(tx, first.id); }),
                      Catch::Contains("cancelled"));
}

TEST_CASE("a backfill whose last chunk was buried by a claim is settled by the next idle sweep", "[pg][backfill]") {
    TestDatabase db;
    pqxx::connection c(db.writer_url());
    auto a = add_user(c, "user-a");
    auto ref = committed(c, [&](pqxx::work& tx) {
        return store::request_backfill(tx, request({a}, {"personal_info"}, "2024-01-01", "2024-01-31"));
    });
    REQUIRE(ref.chunks == 1);
    db.scalar("UPDATE oura.jobs SET state = 'dead', finished_at = now() RETURNING id");
    CHECK(committed(c, [&](pqxx::work& tx) { return store::settle_idle_backfills(tx); }) == 1);
    CHECK(db.scalar("SELECT state FROM oura.backfills") == "failed");
    CHECK(committed(c, [&](pqxx::work& tx) { return store::settle_idle_backfills(tx); }) == 0);
}
