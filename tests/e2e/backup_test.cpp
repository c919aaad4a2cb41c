// Backups are proven, not only described: the documented dump and restore commands
// (deploy/backup.sh, docs/backups.md) move a database the poller filled onto a fresh server, and
// the platform carries on there as if nothing happened.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "harness.hpp"
#include "oura/core/json.hpp"
#include "sim.hpp"

using oura::test::Simulator;
using oura::test::TestDatabase;

namespace {

const std::string pg_bindir = "/usr/lib/postgresql/15/bin";

oura::core::ProcessResult script(const std::string& relative, const std::vector<std::string>& args) {
    std::vector<std::string> argv{oura::test::source_path(relative)};
    argv.insert(argv.end(), args.begin(), args.end());
    return oura::core::run_process(argv, {{"OURA_PG_BINDIR", pg_bindir}}, std::chrono::minutes(5));
}

// A second PostgreSQL server with nothing in it: where a restore lands after the first one is lost.
class FreshCluster {
public:
    FreshCluster() : state_(std::filesystem::temp_directory_path() / ("oura-fresh-" + std::to_string(::getpid()))) {
        auto r = script("tests/harness/pg_cluster.sh", {"start-bare", state_.string()});
        if (r.exit_code != 0) throw std::runtime_error("fresh cluster did not start: " + r.err);
        std::ifstream in(state_);
        for (std::string line; std::getline(in, line);)
            if (line.rfind("PGPORT=", 0) == 0) port_ = line.substr(7);
    }
    ~FreshCluster() { script("tests/harness/pg_cluster.sh", {"stop", state_.string()}); }
    std::string url(const std::string& db, const std::string& user = "postgres") const {
        return "postgresql://" + user + "@127.0.0.1:" + port_ + "/" + db;
    }

private:
    std::filesystem::path state_;
    std::string port_;
};

std::string scalar(const std::string& url, const std::string& sql) {
    pqxx::connection c(url);
    pqxx::nontransaction tx(c);
    auto r = tx.exec1(sql);
    return r[0].is_null() ? "" : r[0].c_str();
}

// Every table of the platform's schemas with its row count, one line each: equal on both sides or not.
std::string table_counts(const std::string& url) {
    pqxx::connection c(url);
    pqxx::nontransaction tx(c);
    std::string out;
    for (const auto& row : tx.exec("SELECT schemaname, relname FROM pg_stat_user_tables "
                                   "WHERE schemaname IN ('oura', 'oura_secret') ORDER BY 1, 2")) {
        auto table = tx.quote_name(row[0].c_str()) + "." + tx.quote_name(row[1].c_str());
        out += table + " " + tx.exec1("SELECT count(*) FROM " + table)[0].c_str() + "\n";
    }
    return out;
}

void execute(const std::string& url, const std::string& sql) {
    pqxx::connection c(url);
    pqxx::nontransaction tx(c);
    tx.exec0(sql);
}

long long field(const std::string& line, const char* key) { return *oura::core::get_int(oura::core::parse_json(line), key); }

}  // namespace

TEST_CASE("a pg_dump of a filled database restores onto a fresh server with the documented command, and the poller finds nothing to change there",
          "[e2e][backup]") {
    Simulator sim({"--users", "2", "--days", "60", "--seed", "11"});
    TestDatabase db;
    auto env = oura::test::platform_env(sim, db.writer_url());
    auto clock = oura::core::parse_json(sim.get("/_sim/clock").body);
    env["OURA_NOW"] = std::string(*oura::core::get_string(clock, "today")) + "T12:00:00Z";
    for (const auto& id : sim.users()) oura::test::register_user(sim, id, env);
    auto first = oura::test::run_binary("poller", {"--days", "61"}, env);
    INFO(first.err.substr(first.err.size() > 3000 ? first.err.size() - 3000 : 0));
    REQUIRE(first.exit_code == 0);

    auto dump = std::filesystem::temp_directory_path() / ("oura-backup-" + std::to_string(::getpid()) + ".dump");
    auto dumped = script("deploy/backup.sh", {"dump", db.url(), dump.string()});
    INFO(dumped.err);
    REQUIRE(dumped.exit_code == 0);

    FreshCluster fresh;
    auto restored = script("deploy/backup.sh", {"restore", dump.string(), fresh.url("postgres")});
    INFO(restored.err);
    REQUIRE(restored.exit_code == 0);
    // The operator's one step of their own (docs/backups.md): the services' login role.
    execute(fresh.url("postgres"), "CREATE ROLE oura_app LOGIN IN ROLE oura_writer");

    // Every table holds the same rows, and the least-privilege grants came along.
    {
        CHECK(table_counts(fresh.url(db.name())) == table_counts(db.url()));
        CHECK(scalar(fresh.url(db.name()), "SELECT has_table_privilege('oura_reader', 'oura.daily_summaries', 'SELECT')") == "t");
        CHECK(scalar(fresh.url(db.name()), "SELECT has_schema_privilege('oura_reader', 'oura_secret', 'USAGE')") == "f");
        CHECK(scalar(fresh.url(db.name()), "SELECT has_database_privilege('oura_reader', current_database(), 'TEMPORARY')") == "f");
        CHECK(scalar(fresh.url(db.name()), "SELECT has_database_privilege('oura_writer', current_database(), 'TEMPORARY')") == "t");
    }

    // A poller pass against the restored database opens the sealed tokens and writes nothing.
    {
        env["OURA_DATABASE_URL"] = fresh.url(db.name(), "oura_app");
        auto again = oura::test::run_binary("poller", {"--days", "61"}, env);
        INFO(again.err.substr(again.err.size() > 3000 ? again.err.size() - 3000 : 0));
        REQUIRE(again.exit_code == 0);
        auto summary = oura::test::last_log_line(again.err, "poller run finished");
        REQUIRE(!summary.empty());
        CHECK(field(summary, "failures") == 0);
        CHECK(field(summary, "inserted") == 0);
        CHECK(field(summary, "updated") == 0);
        CHECK(field(summary, "deleted") == 0);
    }

    // Restoring over a database that already holds the platform is refused and changes nothing.
    {
        auto before = table_counts(fresh.url(db.name()));
        auto twice = script("deploy/backup.sh", {"restore", dump.string(), fresh.url("postgres")});
        CHECK(twice.exit_code == 2);
        CHECK(twice.err.find("already exists") != std::string::npos);
        CHECK(table_counts(fresh.url(db.name())) == before);
    }
    std::filesystem::remove(dump);
}
