// The oura_reader role is what Grafana and /api/sql run as: it reads health data and nothing else.
#include <catch2/catch.hpp>

#include "harness.hpp"
#include "oura/core/process.hpp"
#include "oura/store/migrations.hpp"

using oura::test::TestDatabase;

namespace {

// A login role that is a member of `group`, for connecting as that group would.
std::string login_as(const TestDatabase& db, const std::string& group) {
    std::string role = db.name() + "_" + group;
    pqxx::connection admin(db.url());
    pqxx::nontransaction tx(admin);
    tx.exec("CREATE ROLE " + tx.quote_name(role) + " LOGIN IN ROLE " + tx.quote_name(group));
    auto url = db.url();
    return url.replace(url.find("postgres@"), 8, role);
}

bool allowed(const std::string& url, const std::string& sql) {
    pqxx::connection c(url);
    pqxx::work tx(c);
    try {
        tx.exec(sql);
        return true;
    } catch (const pqxx::insufficient_privilege&) {
        return false;
    }
}

}  // namespace

TEST_CASE("oura_reader reads health tables and pipeline state", "[pg][roles]") {
    TestDatabase db;
    auto url = login_as(db, "oura_reader");
    for (std::string table : {"oura.daily_summaries", "oura.sleep_episodes", "oura.heart_rate_samples",
                              "oura.oura_documents", "oura.sync_state", "oura.sync_runs", "oura.users"}) {
        INFO(table);
        CHECK(allowed(url, "SELECT * FROM " + table + " LIMIT 1"));
    }
}

TEST_CASE("oura_reader can neither read secrets nor write anything", "[pg][roles]") {
    // Migrated by the binary, not cloned: database-level grants (TEMP) are not copied by TEMPLATE.
    TestDatabase db(false);
    REQUIRE(oura::core::run_process({oura::test::binary("oura-migrate")}, {{"OURA_DATABASE_URL", db.url()}}).exit_code == 0);
    auto url = login_as(db, "oura_reader");
    CHECK_FALSE(allowed(url, "SELECT * FROM oura_secret.oauth_tokens"));
    CHECK_FALSE(allowed(url, "SELECT * FROM oura_secret.oauth_states"));
    CHECK_FALSE(allowed(url, "INSERT INTO oura.users (email) VALUES ('x@example.test')"));
    CHECK_FALSE(allowed(url, "DELETE FROM oura.heart_rate_samples"));
    CHECK_FALSE(allowed(url, "UPDATE oura.sync_state SET last_error = 'x'"));
    CHECK_FALSE(allowed(url, "CREATE TABLE oura.evil (x int)"));
    CHECK_FALSE(allowed(url, "CREATE TEMP TABLE evil (x int)"));
}

TEST_CASE("oura_writer may write health data and tokens but not change the schema", "[pg][roles]") {
    TestDatabase db;
    auto url = login_as(db, "oura_writer");
    CHECK(allowed(url, "INSERT INTO oura.users (email) VALUES ('x@example.test')"));
    CHECK(allowed(url, "SELECT * FROM oura_secret.oauth_tokens"));
    CHECK_FALSE(allowed(url, "CREATE TABLE oura.evil (x int)"));
    CHECK_FALSE(allowed(url, "DROP TABLE oura.users"));
}

TEST_CASE("a service connected as a member of oura_writer finds the schema ready, and can only read the version", "[pg][roles]") {
    oura::test::TestDatabase db;
    auto ready = oura::store::schema_readiness(db.writer_url(), "0001_create_schemas_and_roles.sql");
    INFO(ready.reason);
    CHECK(ready.ready);
    CHECK_FALSE(ready.applied.empty());
    pqxx::connection c(db.writer_url());
    pqxx::work tx(c);
    CHECK_THROWS_AS(tx.exec("DELETE FROM oura_meta.schema_migrations"), pqxx::insufficient_privilege);
}
