// oura-admin as an operator uses it: what it prints, what it stores, and its exit codes.
#include <catch2/catch.hpp>

#include <sstream>

#include "binary_env.hpp"
#include "harness.hpp"
#include "oura/core/json.hpp"
#include "sim.hpp"

using namespace oura::test;

namespace {

const std::string nobody = "http://127.0.0.1:9";

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
}

std::vector<std::string> words_of(const std::string& line) {
    std::vector<std::string> out;
    std::istringstream in(line);
    for (std::string w; in >> w;) out.push_back(w);
    return out;
}

oura::core::ProcessResult add_user(const std::map<std::string, std::string>& env, const std::string& access,
                             const std::string& refresh, const std::string& expires_in = "86400") {
    return run_binary("oura-admin",
                      {"users", "add", "--access-token", access, "--refresh-token", refresh, "--expires-in", expires_in},
                      env);
}

}  // namespace

TEST_CASE("oura-admin without a command shows the commands and exits 2", "[e2e][admin]") {
    TestDatabase db;
    auto env = binary_env(db, nobody);
    auto bare = run_binary("oura-admin", {}, env);
    CHECK(bare.exit_code == 2);
    CHECK(bare.out.find("users add") != std::string::npos);
    CHECK(bare.out.find("users list") != std::string::npos);
    auto help = run_binary("oura-admin", {"--help"}, env);
    CHECK(help.exit_code == 0);
    CHECK(help.out == bare.out);

    struct Case {
        std::vector<std::string> args;
        std::string named;
    };
    for (const Case& c : std::vector<Case>{{{"frobnicate"}, "frobnicate"},
                                           {{"users"}, "users"},
                                           {{"users", "remove"}, "users remove"},
                                           {{"users", "add"}, "--tokens-file"},
                                           {{"users", "add", "--access-token", "a"}, "--refresh-token"},
                                           {{"users", "add", "--bogus"}, "--bogus"},
                                           {{"users", "add", "--access-token", "a", "--refresh-token", "r", "--expires-in", "0"},
                                            "--expires-in"},
                                           {{"reproject", "--resource", "sleeep"}, "sleeep"},
                                           {{"reproject", "--user", "me"}, "--user"}}) {
        auto r = run_binary("oura-admin", c.args, env);
        INFO("oura-admin " << joined(c.args) << "\nstderr: " << r.err);
        CHECK(r.exit_code == 2);
        CHECK(r.err.find(c.named) != std::string::npos);
    }
    // A configuration problem is exit 2 as well, and names the variable.
    auto no_db = env;
    no_db["OURA_DATABASE_URL"] = "";
    auto r = run_binary("oura-admin", {"users", "list"}, no_db);
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("OURA_DATABASE_URL") != std::string::npos);
}

TEST_CASE("users list shows each user with their token, grant and sync state", "[e2e][admin]") {
    Simulator sim({"--users", "2", "--days", "3"});
    TestDatabase db;
    auto env = binary_env(db, sim.url());

    auto empty = run_binary("oura-admin", {"users", "list"}, env);
    CHECK(empty.exit_code == 0);
    CHECK(empty.out.find("(no users yet") != std::string::npos);

    for (const auto& id : sim.users()) {
        auto [access, refresh] = sim.mint_token(id);
        auto added = add_user(env, access, refresh);
        INFO(added.err);
        REQUIRE(added.exit_code == 0);
        CHECK(added.out.find("(oura id " + id) != std::string::npos);
    }
    auto before = run_binary("oura-admin", {"users", "list"}, env);
    REQUIRE(before.exit_code == 0);
    auto lines = lines_of(before.out);
    REQUIRE(lines.size() == 3);
    CHECK(words_of(lines[0]) == std::vector<std::string>{"USER", "OURA", "ID", "EMAIL", "STATUS", "TOKEN", "EXPIRES",
                                                         "GRANT", "LAST", "SYNC", "FAILING"});
    const auto& users = sim.users();
    for (std::size_t i = 0; i < users.size(); ++i) {
        auto info = oura::core::parse_json(sim.truth_body(static_cast<int>(i), "personal_info"));
        REQUIRE(info["data"].Size() == 1);
        auto email = oura::core::get_string(info["data"][0], "email");
        REQUIRE(email);
        auto w = words_of(lines[i + 1]);
        INFO(lines[i + 1]);
        // USER, OURA ID, EMAIL, STATUS, TOKEN EXPIRES (date time), GRANT, LAST SYNC, FAILING
        REQUIRE(w.size() == 9);
        CHECK(w[0] == db.scalar("SELECT user_id FROM oura.users WHERE oura_user_id = '" + users[i] + "'"));
        CHECK(w[1] == users[i]);
        CHECK(w[2] == *email);
        CHECK(w[3] == "active");
        CHECK(w[4] + " " + w[5] == db.scalar("SELECT to_char(expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI\"Z\"') "
                                             "FROM oura_secret.oauth_tokens t JOIN oura.users u USING (user_id) "
                                             "WHERE u.oura_user_id = '" + users[i] + "'"));
        CHECK(w[6] == "ok");
        CHECK(w[7] == "never");
        CHECK(w[8] == "0");
    }

    // After a run of the first user only: their last sync time, and the one resource that failed.
    REQUIRE(sim.call("POST", "/_sim/faults", R"({"route":"/v2/usercollection/daily_sleep","kind":"500","count":1000})")
                .status == 200);
    auto run = run_binary("poller", {"--days", "2", "--users", users[0]}, env);
    INFO(run.err);
    REQUIRE(run.exit_code == 1);
    auto after = lines_of(run_binary("oura-admin", {"users", "list"}, env).out);
    REQUIRE(after.size() == 3);
    auto first = words_of(after[1]), second = words_of(after[2]);
    REQUIRE(first.size() == 10);  // LAST SYNC is now a date and a time
    CHECK(first[7].size() == 10);
    CHECK(first[8].back() == 'Z');
    CHECK(first[9] == "1");
    CHECK(second[7] == "never");
    CHECK(second[8] == "0");
}

TEST_CASE("a second users add for the same account replaces its tokens, and the poller uses the new ones",
          "[e2e][admin]") {
    Simulator sim({"--users", "1", "--days", "3"});
    TestDatabase db;
    auto env = binary_env(db, sim.url());
    auto user = sim.users()[0];
    auto [old_access, old_refresh] = sim.mint_token(user);
    REQUIRE(add_user(env, old_access, old_refresh, "3600").exit_code == 0);
    auto stored = [&](const std::string& column) { return db.scalar("SELECT " + column + " FROM oura_secret.oauth_tokens"); };
    auto access_first = stored("encode(access_token, 'hex')"), refresh_first = stored("encode(refresh_token, 'hex')");
    auto expires_first = stored("expires_at"), updated_first = stored("updated_at");

    auto [new_access, new_refresh] = sim.mint_token(user);
    auto again = add_user(env, new_access, new_refresh, "7200");
    INFO(again.err);
    REQUIRE(again.exit_code == 0);
    CHECK(db.scalar("SELECT count(*) FROM oura.users") == "1");
    CHECK(db.scalar("SELECT count(*) FROM oura_secret.oauth_tokens") == "1");
    CHECK(stored("encode(access_token, 'hex')") != access_first);
    CHECK(stored("encode(refresh_token, 'hex')") != refresh_first);
    CHECK(stored("expires_at > '" + expires_first + "'::timestamptz + interval '50 minutes'") == "t");
    CHECK(stored("updated_at > '" + updated_first + "'::timestamptz") == "t");

    // The old access token no longer works at Oura. A poller still holding it would have to spend
    // the old refresh token; one using the new pair needs no refresh at all.
    REQUIRE(sim.call("POST", "/_sim/tokens/expire", R"({"access_token":")" + old_access + R"("})").status == 200);
    auto run = run_binary("poller", {"--days", "2"}, env);
    INFO(run.err);
    CHECK(run.exit_code == 0);
    CHECK(sim.successful_grants("refresh_token") == 0);
    CHECK(std::stoll(db.scalar("SELECT count(*) FROM oura.oura_documents")) > 0);
}
