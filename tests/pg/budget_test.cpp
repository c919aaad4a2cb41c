// The shared Oura request budget: one token bucket row that every worker of every replica takes from.
#include <catch2/catch.hpp>

#include <chrono>

#include "harness.hpp"
#include "oura/store/budget.hpp"
#include "oura/store/jobs.hpp"
#include "oura/store/users.hpp"

using namespace oura;
using namespace std::chrono_literals;
using oura::test::TestDatabase;

namespace {

store::BudgetTake take(pqxx::connection& c, const store::BucketShape& shape) {
    pqxx::work tx(c);
    auto t = store::take_budget_token(tx, "oura_api", shape);
    tx.commit();
    return t;
}

}  // namespace

TEST_CASE("a budget shaped for a limit never lets a window see more than the limit", "[unit][budget]") {
    auto shape = store::bucket_for_limit(5000, std::chrono::minutes(5));
    CHECK(shape.capacity == 50);
    CHECK(shape.capacity + shape.refill_per_second * 300 <= 5000);
    CHECK(shape.refill_per_second * 300 >= 0.93 * 5000);  // a long run keeps most of the limit
    auto small = store::bucket_for_limit(50, 3s);
    CHECK(small.capacity + small.refill_per_second * 3 <= 50);
    CHECK_THROWS(store::bucket_for_limit(0, 3s));
}

TEST_CASE("takers from two connections share one bucket: a burst, then waiting for the refill", "[pg][budget]") {
    TestDatabase db;
    pqxx::connection a(db.writer_url()), b(db.writer_url());
    // A refill too slow to matter during the test: the burst is all there is.
    store::BucketShape shape{4, 0.001};
    int granted = 0;
    for (int i = 0; i < 3; ++i) granted += take(a, shape).granted + take(b, shape).granted;
    CHECK(granted == 4);
    auto refused = take(b, shape);
    CHECK_FALSE(refused.granted);
    CHECK(refused.wait > 100s);  // one token at 0.001/s is ~1000 s away
    CHECK(refused.tokens_left < 1);
}

TEST_CASE("a 429 pauses every taker until Oura's reset and empties the bucket", "[pg][budget]") {
    TestDatabase db;
    pqxx::connection a(db.writer_url()), b(db.writer_url());
    store::BucketShape shape{10, 100};
    REQUIRE(take(a, shape).granted);
    {
        pqxx::work tx(a);
        store::pause_budget(tx, "oura_api", std::chrono::system_clock::now() + 30s);
        tx.commit();
    }
    auto paused = take(b, shape);
    CHECK_FALSE(paused.granted);
    CHECK(paused.wait > 20s);
    CHECK(paused.wait <= 30s);
    CHECK(db.scalar("SELECT rate_limited_total FROM oura.request_budgets") == "1");
    // The pause is over (moved into the past as the owner): tokens accrue again from zero.
    db.scalar("UPDATE oura.request_budgets SET paused_until = now() - interval '1 second', "
              "refilled_at = now() - interval '1 second' RETURNING 1");
    CHECK(take(a, shape).granted);
}

TEST_CASE("a released job is due again at once without spending its attempt", "[pg][jobs]") {
    TestDatabase db;
    pqxx::connection c(db.writer_url());
    long long id = 0;
    {
        pqxx::work tx(c);
        id = store::enqueue(tx, "sync", std::nullopt, "{}").id;
        tx.commit();
    }
    store::ClaimedJob job;
    {
        pqxx::work tx(c);
        job = store::claim(tx, {"sync"}, 1, "w", 60s).at(0);
        tx.commit();
    }
    {
        pqxx::work tx(c);
        store::release(tx, job.id, job.generation);
        tx.commit();
    }
    CHECK(db.scalar("SELECT state || ' ' || attempts FROM oura.jobs WHERE id = " + std::to_string(id)) == "pending 0");
    pqxx::work tx(c);
    CHECK_THROWS_AS(store::release(tx, job.id, job.generation), store::lease_lost);
}
