// oura-migrate against a real PostgreSQL 15: what an operator running the Helm hook would see.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "harness.hpp"
#include "oura/core/process.hpp"

using oura::core::ChildProcess;
using oura::core::run_process;
using oura::test::TestDatabase;
namespace fs = std::filesystem;

namespace {

oura::core::ProcessResult migrate(const std::string& url, std::vector<std::string> args = {}) {
    std::vector<std::string> argv{oura::test::binary("oura-migrate")};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_process(argv, {{"OURA_DATABASE_URL", url}, {"OURA_DATABASE_URL_FILE", ""}});
}

std::size_t migration_file_count() {
    std::size_t n = 0;
    for (const auto& e : fs::directory_iterator(oura::test::source_path("migrations")))
        if (e.path().extension() == ".sql") ++n;
    return n;
}

// Tables, columns, indexes, constraints and grants: equal strings mean an equal schema.
std::string schema_fingerprint(const TestDatabase& db) {
    return db.scalar(R"sql(
        SELECT md5(string_agg(x, '|' ORDER BY x)) FROM (
          SELECT table_schema || '.' || table_name || '.' || column_name || ':' || data_type AS x
            FROM information_schema.columns WHERE table_schema LIKE 'oura%'
          UNION ALL SELECT schemaname || '.' || indexname || ':' || indexdef FROM pg_indexes WHERE schemaname LIKE 'oura%'
          UNION ALL SELECT conname || ':' || pg_get_constraintdef(oid) FROM pg_constraint
                    WHERE connamespace::regnamespace::text LIKE 'oura%'
          UNION ALL SELECT grantee || ':' || table_schema || '.' || table_name || ':' || privilege_type
            FROM information_schema.role_table_grants WHERE table_schema LIKE 'oura%'
        ) s)sql");
}

}  // namespace

TEST_CASE("migrations bring an empty database to the full schema, and a second run changes nothing", "[pg][migrate]") {
    TestDatabase db(/*migrated=*/false);
    auto first = migrate(db.url());
    INFO(first.err);
    REQUIRE(first.exit_code == 0);
    CHECK(std::stoul(db.scalar("SELECT count(*) FROM oura_meta.schema_migrations")) == migration_file_count());
    auto before = schema_fingerprint(db);
    auto applied_at = db.scalar("SELECT max(applied_at)::text FROM oura_meta.schema_migrations");

    auto second = migrate(db.url());
    INFO(second.err);
    REQUIRE(second.exit_code == 0);
    CHECK(second.err.find("schema is up to date") != std::string::npos);
    CHECK(schema_fingerprint(db) == before);
    CHECK(db.scalar("SELECT max(applied_at)::text FROM oura_meta.schema_migrations") == applied_at);
}

TEST_CASE("the schema has every table of the data model", "[pg][migrate]") {
    TestDatabase db;
    for (std::string table :
         {"oura.users", "oura.oura_documents", "oura.daily_summaries", "oura.sleep_episodes", "oura.sleep_samples",
          "oura.heart_rate_samples", "oura.workouts", "oura.sessions", "oura.enhanced_tags", "oura.tags",
          "oura.rest_mode_periods", "oura.ring_configurations", "oura.ring_battery_levels", "oura.personal_info",
          "oura.jobs", "oura.webhook_inbox", "oura.sync_runs", "oura.sync_state", "oura.backfills", "oura.backfill_chunks", "oura.request_budgets",
          "oura.webhook_subscriptions", "oura.table_stats", "oura_secret.oauth_tokens", "oura_secret.oauth_states"}) {
        INFO(table);
        CHECK(db.scalar("SELECT to_regclass('" + table + "') IS NOT NULL") == "t");
    }
}

TEST_CASE("a migration edited after it was applied is refused, by name, and nothing changes", "[pg][migrate]") {
    TestDatabase db(false);
    auto dir = fs::temp_directory_path() / ("oura-mig-" + db.name());
    fs::create_directories(dir);
    for (const auto& e : fs::directory_iterator(oura::test::source_path("migrations")))
        fs::copy_file(e.path(), dir / e.path().filename());
    REQUIRE(migrate(db.url(), {"--dir", dir.string()}).exit_code == 0);

    std::string first;
    for (const auto& e : fs::directory_iterator(dir))
        if (first.empty() || e.path().filename().string() < first) first = e.path().filename().string();
    std::ofstream(dir / first, std::ios::app) << "\n-- an innocent-looking edit\n";
    auto before = db.scalar("SELECT count(*) FROM oura_meta.schema_migrations");

    auto refused = migrate(db.url(), {"--dir", dir.string()});
    CHECK(refused.exit_code == 1);
    CHECK(refused.err.find(first) != std::string::npos);
    CHECK(refused.err.find("edited") != std::string::npos);
    CHECK(db.scalar("SELECT count(*) FROM oura_meta.schema_migrations") == before);

    auto status = migrate(db.url(), {"--dir", dir.string(), "--status"});
    CHECK(status.exit_code == 1);
    CHECK(status.out.find(first + "  MODIFIED") != std::string::npos);
    fs::remove_all(dir);
}

TEST_CASE("two runners started together leave one consistent schema", "[pg][migrate]") {
    TestDatabase db(false);
    std::map<std::string, std::string> env{{"OURA_DATABASE_URL", db.url()}, {"OURA_LOG_LEVEL", "warn"}};
    ChildProcess a({oura::test::binary("oura-migrate")}, env);
    ChildProcess b({oura::test::binary("oura-migrate")}, env);
    CHECK(a.wait(std::chrono::seconds(60)) == 0);
    CHECK(b.wait(std::chrono::seconds(60)) == 0);
    CHECK(std::stoul(db.scalar("SELECT count(*) FROM oura_meta.schema_migrations")) == migration_file_count());

    TestDatabase reference(false);
    REQUIRE(migrate(reference.url()).exit_code == 0);
    CHECK(schema_fingerprint(db) == schema_fingerprint(reference));
}

TEST_CASE("the status flag lists pending migrations before and applied ones after", "[pg][migrate]") {
    TestDatabase db(false);
    auto before = migrate(db.url(), {"--status"});
    CHECK(before.exit_code == 0);
    CHECK(before.out.find("pending") != std::string::npos);
    CHECK(before.out.find("applied") == std::string::npos);
    CHECK(db.scalar("SELECT to_regclass('oura_meta.schema_migrations') IS NULL") == "t");  // status changed nothing
    REQUIRE(migrate(db.url()).exit_code == 0);
    auto after = migrate(db.url(), {"--status"});
    CHECK(after.out.find("pending") == std::string::npos);
    CHECK(after.out.find("applied") != std::string::npos);
}

TEST_CASE("an unreachable server or a missing URL gives one clear line and exit code 2", "[pg][migrate]") {
    auto unreachable = migrate("postgresql://postgres:hunter2@127.0.0.1:1/nowhere");
    CHECK(unreachable.exit_code == 2);
    CHECK(unreachable.err.find("cannot connect") != std::string::npos);
    CHECK(unreachable.err.find("hunter2") == std::string::npos);
    CHECK(std::count(unreachable.err.begin(), unreachable.err.end(), '\n') == 1);

    auto garbage = migrate("this is not a dsn");
    CHECK(garbage.exit_code == 2);

    auto missing = run_process({oura::test::binary("oura-migrate")}, {{"OURA_DATABASE_URL", ""}, {"OURA_DATABASE_URL_FILE", ""}});
    CHECK(missing.exit_code == 2);
    CHECK(missing.err.find("OURA_DATABASE_URL is required") != std::string::npos);

    auto bad_flag = run_process({oura::test::binary("oura-migrate"), "--frobnicate"});
    CHECK(bad_flag.exit_code == 2);
    CHECK(bad_flag.err.find("--frobnicate") != std::string::npos);
}
