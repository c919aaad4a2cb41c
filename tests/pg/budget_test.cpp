// The shared Oura request budget: one rolling window of requests that every worker of every replica takes from.
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

store::BudgetTake take(pqxx::connection& c, const store::BudgetShape& shape) {
    pqxx::work tx(c);
    auto t = store::take_budget_token(tx, "oura_api", shape);
    tx.commit();
    return t;
}

}  // namespace

TEST_CASE("a budget shaped for a limit keeps 5 % headroom and counts a window at least whole", "[unit][budget]") {
    auto shape = store::budget_for_limit(5000, std::chrono::minutes(5));
    CHECK(shape.requests == 4750);
    CHECK(shape.slot == 3s);
    CHECK(shape.slot * shape.slots_per_window >= 5min);
    auto small = store::budget_for_limit(50, 3s);
    CHECK(small.requests == 47);
    CHECK(small.slot == 100ms);
    CHECK(small.slot * small.slots_per_window >= 3s);
    CHECK(store::budget_for_limit(1, 1s).requests == 1);
    CHECK_THROWS(store::budget_for_limit(0, 3s));
    CHECK_THROWS(store::budget_for_limit(10, 500ms));
}

TEST_CASE("takers from two connections share one window: all of it at once, then nothing until it rolls on",
          "[pg][budget]") {
    TestDatabase db;
    pqxx::connection a(db.writer_url()), b(db.writer_url());
    // 4 requests per 1000 s (slots of 100 s): the whole window is there at once, then nothing.
    store::BudgetShape shape{4, 100s, 10};
    int granted = 0;
    for (int i = 0; i < 3; ++i) granted += take(a, shape).granted + take(b, shape).granted;
    CHECK(granted == 4);
    auto refused = take(b, shape);
    CHECK_FALSE(refused.granted);
    CHECK(refused.wait > 900s);  // the slot holding them leaves the window 1000-1100 s from its start
    CHECK(refused.wait <= 1100s);
    CHECK(refused.tokens_left == 0);
    // The window rolls on: the slot moved back past the window (20 minutes) frees its requests; it
    // is kept for an hour (a process with a longer window may count it), then removed.
    db.scalar("UPDATE oura.request_budget_slots SET started_ms = started_ms - 1200000 RETURNING 1");
    auto again = take(a, shape);
    CHECK(again.granted);
    CHECK(again.tokens_left == 3);
    CHECK(db.scalar("SELECT count(*) FROM oura.request_budget_slots") == "2");
    db.scalar("WITH moved AS (UPDATE oura.request_budget_slots SET started_ms = started_ms - 7200000 RETURNING 1) "
              "SELECT count(*) FROM moved");
    CHECK(take(a, shape).granted);
    CHECK(db.scalar("SELECT count(*) FROM oura.request_budget_slots") == "1");
}

TEST_CASE("a window's requests are waited out slot by slot, oldest first", "[pg][budget]") {
    TestDatabase db;
    pqxx::connection a(db.writer_url());
    store::BudgetShape shape{3, 1s, 10};  // 3 per 10 s, slots of 1 s
    for (int i = 0; i < 3; ++i) REQUIRE(take(a, shape).granted);
    // Two of the three were 8 s ago: one must leave for a fourth, and it leaves in ~2-3 s.
    db.scalar("UPDATE oura.request_budget_slots SET requests = 1 RETURNING 1");
    db.scalar("INSERT INTO oura.request_budget_slots (name, started_ms, requests) "
              "SELECT name, started_ms - 8000, 2 FROM oura.request_budget_slots RETURNING 1");
    auto refused = take(a, shape);
    CHECK_FALSE(refused.granted);
    CHECK(refused.wait >= 1s);
    CHECK(refused.wait <= 4s);
}

TEST_CASE("a 429 pauses every taker until Oura's reset and is counted", "[pg][budget]") {
    TestDatabase db;
    pqxx::connection a(db.writer_url()), b(db.writer_url());
    store::BudgetShape shape{1000, 1s, 10};
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
    // The pause is over (moved into the past as the owner): the window's room is there again.
    db.scalar("UPDATE oura.request_budgets SET paused_until = now() - interval '1 second' RETURNING 1");
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
