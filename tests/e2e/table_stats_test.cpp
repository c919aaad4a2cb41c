// A poller run leaves oura.table_stats current: what /metrics reports as table sizes.
#include <catch2/catch.hpp>

#include "binary_env.hpp"
#include "harness.hpp"
#include "sim.hpp"

using namespace oura::test;

TEST_CASE("a poller run refreshes the table sizes", "[e2e][poller]") {
    Simulator sim({"--users", "1", "--days", "3"});
    TestDatabase db;
    auto env = binary_env(db, sim.url());
    auto [access, refresh] = sim.mint_token(sim.users()[0]);
    REQUIRE(run_binary("oura-admin", {"users", "add", "--access-token", access, "--refresh-token", refresh}, env)
                .exit_code == 0);
    REQUIRE(db.scalar("SELECT count(*) FROM oura.table_stats") == "0");
    const auto empty_bytes = db.scalar("SELECT pg_total_relation_size('oura.heart_rate_samples')");

    auto run = run_binary("poller", {"--days", "2"}, env);
    INFO(run.err);
    REQUIRE(run.exit_code == 0);
    CHECK(db.scalar("SELECT count(*) FROM oura.table_stats") ==
          db.scalar("SELECT count(*) FROM pg_tables WHERE schemaname = 'oura'"));
    // The heart-rate rows the run wrote are in the size; autovacuum may add map forks afterwards,
    // never take bytes away.
    CHECK(db.scalar("SELECT s.total_bytes > " + empty_bytes +
                    " AND s.total_bytes <= pg_total_relation_size('oura.heart_rate_samples') "
                    "FROM oura.table_stats s WHERE s.table_name = 'oura.heart_rate_samples'") == "t");
    CHECK(db.scalar("SELECT bool_and(refreshed_at >= r.finished_at) FROM oura.table_stats, "
                    "(SELECT finished_at FROM oura.sync_runs) r") == "t");
}
