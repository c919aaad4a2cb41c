// store::SqlGateway in-process against the run's PostgreSQL: the recipe of DESIGN §5 seen from the
// pooled connection itself (query-api's e2e tests see it through HTTP).
#include <catch2/catch.hpp>

#include "harness.hpp"
#include "oura/store/database.hpp"
#include "oura/store/sql_gateway.hpp"

using namespace oura;

TEST_CASE("the SQL gateway cuts a large result at the cap and answers the next request", "[pg][sql]") {
    test::TestDatabase db;
    store::SqlGateway gw(db.sql_url(), 1);
    store::SqlLimits limits;
    limits.max_rows = 1000;
    auto a = gw.run("SELECT g, repeat('y', 100) FROM generate_series(1, 100000) g", {}, limits);
    CHECK(a.truncated);
    CHECK(a.table.rows.size() == 1000);
    // The cancel may cost the connection (a cancel mid-row ends the session); never the next answer.
    auto b = gw.run("SELECT 1", {}, limits);
    CHECK(b.table.rows.size() == 1);
    CHECK(gw.connections_opened() <= 2);
    CHECK(db.scalar("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'oura-query-api-sql' "
                    "AND datname = current_database() AND state <> 'idle'") == "0");
}

TEST_CASE("a statement that changes the session leaves nothing on the pooled connection", "[pg][sql]") {
    test::TestDatabase db;
    store::SqlGateway gw(db.sql_url(), 1);
    store::SqlLimits limits;
    gw.run("SELECT 1", {}, limits);
    auto before = gw.idle_connection_states();
    REQUIRE(before.size() == 1);
    for (const auto* sql : {"SELECT set_config('work_mem', '1GB', false)", "SELECT pg_advisory_lock(7)",
                            "SELECT set_config('escape.test', 'x', false)", "SELECT set_config('search_path', 'public', false)"})
        gw.run(sql, {}, limits);
    CHECK_THROWS_AS(gw.run("SET work_mem = '2GB'", {}, limits), store::sql_rejected);
    CHECK_THROWS_AS(gw.run("COMMIT", {}, limits), store::sql_rejected);
    CHECK(gw.idle_connection_states() == before);
    CHECK(db.scalar("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'") == "0");
    CHECK(gw.connections_opened() == 1);
}

TEST_CASE("the SQL gateway's role reads health data only after SET ROLE and never the secrets", "[pg][sql]") {
    test::TestDatabase db;
    auto c = pqxx::connection(db.sql_url());
    pqxx::nontransaction tx(c);
    // Without SET ROLE the login role has nothing of its own.
    CHECK_THROWS(tx.exec("SELECT count(*) FROM oura.users"));
    store::SqlGateway gw(db.sql_url(), 1);
    CHECK(gw.run("SELECT count(*) FROM oura.users", {}, {}).table.rows.size() == 1);
    CHECK_THROWS_AS(gw.run("SELECT * FROM oura_secret.oauth_tokens", {}, {}), store::sql_rejected);
}
