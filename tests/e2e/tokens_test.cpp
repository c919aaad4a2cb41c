// OAuth tokens as an operator meets them: registering an account without putting the tokens on a
// command line, rotating the key that seals them, and grants that Oura refuses or rate-limits —
// with the real binaries, the real simulator and the real PostgreSQL.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <mutex>
#include <thread>

#include "harness.hpp"
#include "oura/core/crypto.hpp"
#include "oura/core/json.hpp"
#include "oura/http/message.hpp"
#include "oura/http/server.hpp"
#include "oura/store/tokens.hpp"
#include "sim.hpp"
#include "wait.hpp"

using oura::test::Simulator;
using oura::test::TestDatabase;

namespace {

const std::string old_key = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
const std::string new_key = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100";

struct Setup {
    Simulator& sim;
    TestDatabase& db;
    std::map<std::string, std::string> env;
    std::vector<std::string> files;

    Setup(Simulator& s, TestDatabase& d) : sim(s), db(d) {
        env = {{"OURA_DATABASE_URL", db.url()},
               {"OURA_API_BASE_URL", sim.url()},
               {"OURA_AUTH_BASE_URL", sim.url()},
               {"OURA_CLIENT_ID", Simulator::client_id},
               {"OURA_CLIENT_SECRET", Simulator::client_secret},
               {"OURA_TOKEN_ENCRYPTION_KEY", old_key},
               {"OURA_LOG_LEVEL", "info"},
               {"OURA_HTTP_TIMEOUT", "10s"}};
    }
    ~Setup() {
        for (const auto& f : files) std::remove(f.c_str());
    }

    // Switches every later command to the key list `keys` ("2:KEY,1:KEY").
    void use_keys(const std::string& keys) {
        env.erase("OURA_TOKEN_ENCRYPTION_KEY");
        env["OURA_TOKEN_ENCRYPTION_KEYS"] = keys;
    }

    std::string write_file(const std::string& content) {
        char name[] = "/tmp/oura-tokens-XXXXXX";
        int fd = mkstemp(name);
        REQUIRE(fd >= 0);
        REQUIRE(write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size()));
        close(fd);
        files.emplace_back(name);
        return name;
    }

    // The token endpoint's JSON answer for the user at `index`, as the simulator mints it.
    std::string token_json(const std::string& oura_id, const std::string& body = {}) {
        auto r = sim.call("POST", "/_sim/users/" + oura_id + "/token", body);
        REQUIRE(r.status == 200);
        return r.body;
    }

    oura::core::ProcessResult admin(const std::vector<std::string>& args) {
        return oura::test::run_binary("oura-admin", args, env);
    }

    // `oura-admin users add --tokens-file -` with `content` piped to its standard input.
    oura::core::ProcessResult admin_from_stdin(const std::string& content) {
        auto path = write_file(content);
        return oura::core::run_process(
            {"/bin/sh", "-c", "cat '" + path + "' | '" + oura::test::binary("oura-admin") + "' users add --tokens-file -"},
            env);
    }

    void add_user(const std::string& oura_id) {
        auto r = admin({"users", "add", "--tokens-file", write_file(token_json(oura_id))});
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
    }

    oura::core::ProcessResult poll(std::vector<std::string> args) { return oura::test::run_binary("poller", args, env); }

    long long count(const std::string& sql) { return std::stoll(db.scalar(sql)); }
    long long user_id(const std::string& oura_id) {
        return count("SELECT user_id FROM oura.users WHERE oura_user_id = '" + oura_id + "'");
    }
    // The stored pair, opened with `keys`.
    oura::store::StoredTokens stored(long long uid, const std::string& keys = "1:" + old_key) {
        auto c = db.connect();
        auto cipher = oura::store::TokenCipher(oura::core::parse_versioned_keys(keys, "test"));
        pqxx::nontransaction read(c);
        auto t = oura::store::load_tokens(read, cipher, uid);
        REQUIRE(t);
        return *t;
    }

    // Spends `refresh` at the token endpoint, as another client of the same grant would.
    std::pair<std::string, std::string> rotate_elsewhere(const std::string& refresh) {
        oura::http::Headers h;
        h.set("Content-Type", "application/x-www-form-urlencoded");
        auto r = sim.post("/oauth/token",
                          oura::http::build_query({{"grant_type", "refresh_token"},
                                                   {"refresh_token", refresh},
                                                   {"client_id", Simulator::client_id},
                                                   {"client_secret", Simulator::client_secret}}),
                          h);
        REQUIRE(r.status == 200);
        auto doc = oura::core::parse_json(r.body);
        return {std::string(*oura::core::get_string(doc, "access_token")),
                std::string(*oura::core::get_string(doc, "refresh_token"))};
    }

    // Backends of another session holding a row lock on a token row (SELECT ... FOR UPDATE).
    long long token_row_locks() {
        // pg_locks spans the cluster, and every test database is cloned with the same relation
        // oids: without the database filter a test running alongside is counted too.
        return count("SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                     "WHERE l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
                     "AND c.relname = 'oauth_tokens' AND l.mode = 'RowShareLock' AND l.pid <> pg_backend_pid()");
    }
    long long waiting_for_locks() {
        return count("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'");
    }
    long long idle_in_transaction() {
        return count("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                     "AND state LIKE 'idle in transaction%' AND pid <> pg_backend_pid()");
    }
};

std::string access_of(const std::string& token_json) {
    return std::string(*oura::core::get_string(oura::core::parse_json(token_json), "access_token"));
}
std::string refresh_of(const std::string& token_json) {
    return std::string(*oura::core::get_string(oura::core::parse_json(token_json), "refresh_token"));
}

}  // namespace

TEST_CASE("users add takes the token pair from a file or standard input, as the token endpoint's JSON or two lines",
          "[e2e][tokens]") {
    Simulator sim({"--users", "4", "--days", "2"});
    TestDatabase db;
    Setup s(sim, db);
    auto ids = sim.users();

    SECTION("the JSON answer from a file keeps its expiry and scopes") {
        auto body = s.token_json(ids[0], R"({"expires_in":1234,"scopes":["daily","heartrate"]})");
        auto r = s.admin({"users", "add", "--tokens-file", s.write_file(body)});
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
        CHECK(r.err.find("warning") == std::string::npos);
        auto t = s.stored(s.user_id(ids[0]));
        CHECK(t.access_token == access_of(body));
        CHECK(t.refresh_token == refresh_of(body));
        CHECK(t.scopes == std::vector<std::string>{"daily", "heartrate"});
        auto left = std::chrono::duration_cast<std::chrono::seconds>(t.expires_at - std::chrono::system_clock::now());
        CHECK(left.count() > 1100);
        CHECK(left.count() <= 1234);
    }
    SECTION("two lines from a file") {
        auto body = s.token_json(ids[1]);
        auto r = s.admin({"users", "add", "--tokens-file", s.write_file(access_of(body) + "\r\n" + refresh_of(body) + "\n")});
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
        CHECK(s.stored(s.user_id(ids[1])).refresh_token == refresh_of(body));
    }
    SECTION("the JSON answer piped to standard input") {
        auto body = s.token_json(ids[2]);
        auto r = s.admin_from_stdin(body);
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
        CHECK(r.err.find("warning") == std::string::npos);
        CHECK(s.stored(s.user_id(ids[2])).access_token == access_of(body));
    }
    SECTION("two lines piped to standard input") {
        auto body = s.token_json(ids[3]);
        auto r = s.admin_from_stdin(access_of(body) + "\n" + refresh_of(body) + "\n");
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
        CHECK(s.stored(s.user_id(ids[3])).refresh_token == refresh_of(body));
    }
}

TEST_CASE("tokens given as flags still register the user but warn that ps and the shell history show them",
          "[e2e][tokens]") {
    Simulator sim({"--users", "1", "--days", "2"});
    TestDatabase db;
    Setup s(sim, db);
    auto body = s.token_json(sim.users()[0]);
    auto r = s.admin({"users", "add", "--access-token", access_of(body), "--refresh-token", refresh_of(body)});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.err.find("warning: tokens given as flags are visible in `ps` and the shell history") != std::string::npos);
    CHECK(s.stored(s.user_id(sim.users()[0])).access_token == access_of(body));
}

TEST_CASE("a malformed tokens file exits 2 naming the problem and never echoes a token", "[e2e][tokens]") {
    Simulator sim({"--users", "1", "--days", "2"});
    TestDatabase db;
    Setup s(sim, db);
    const std::string secret = "SECRET-access-7f3a9c";
    struct Case {
        std::string content, expected;
    };
    std::vector<Case> cases = {
        {secret + "\n", "holds 1 non-empty line(s); expected the token endpoint's JSON answer or two lines"},
        {secret + "\nR2\nR3\n", "holds 3 non-empty line(s)"},
        {"{\"access_token\":\"" + secret + "\"}", "token response has no refresh_token"},
        {"{\"access_token\":\"" + secret + "\",", "token response is not a JSON object"},
        {secret + " R2\nR3\n", "a token line contains a space"},
        {"\n \n", "is empty"},
    };
    for (const auto& c : cases) {
        auto path = s.write_file(c.content);
        auto r = s.admin({"users", "add", "--tokens-file", path});
        INFO(c.content);
        CHECK(r.exit_code == 2);
        CHECK(r.err.find("--tokens-file: '" + path + "'") != std::string::npos);
        CHECK(r.err.find(c.expected) != std::string::npos);
        CHECK(r.err.find(secret) == std::string::npos);
        CHECK(r.out.find(secret) == std::string::npos);
    }
    auto missing = s.admin({"users", "add", "--tokens-file", "/nonexistent/tokens.json"});
    CHECK(missing.exit_code == 2);
    CHECK(missing.err.find("--tokens-file: cannot read '/nonexistent/tokens.json'") != std::string::npos);
    auto piped = s.admin_from_stdin(secret + "\n");
    CHECK(piped.exit_code == 2);
    CHECK(piped.err.find("--tokens-file: standard input holds 1 non-empty line(s)") != std::string::npos);
    CHECK(piped.err.find(secret) == std::string::npos);
    CHECK(s.count("SELECT count(*) FROM oura.users") == 0);
}

TEST_CASE("tokens sealed with key 1 keep working under 2:new,1:old, and after rekey key 2 alone is enough",
          "[e2e][tokens]") {
    Simulator sim({"--users", "2", "--days", "3"});
    TestDatabase db;
    Setup s(sim, db);
    for (const auto& id : sim.users()) s.add_user(id);
    REQUIRE(s.count("SELECT count(*) FROM oura_secret.oauth_tokens WHERE key_version = 1") == 2);
    auto refreshes_before = s.db.scalar("SELECT string_agg(refresh_count::text, ',' ORDER BY user_id) FROM oura_secret.oauth_tokens");

    s.use_keys("2:" + new_key + ",1:" + old_key);
    auto read = s.poll({"--days", "2", "--resources", "daily_sleep,sleep"});
    INFO(read.err);
    REQUIRE(read.exit_code == 0);

    auto rekey = s.admin({"tokens", "rekey"});
    INFO(rekey.err);
    REQUIRE(rekey.exit_code == 0);
    CHECK(rekey.out == "re-sealed 2 token pair(s) with key version 2; 0 already used it\n");
    CHECK(s.count("SELECT count(*) FROM oura_secret.oauth_tokens WHERE key_version = 2") == 2);
    // Re-sealing is not a refresh: the grant's bookkeeping is untouched.
    CHECK(s.db.scalar("SELECT string_agg(refresh_count::text, ',' ORDER BY user_id) FROM oura_secret.oauth_tokens") ==
          refreshes_before);
    CHECK(s.admin({"tokens", "rekey"}).out == "re-sealed 0 token pair(s) with key version 2; 2 already used it\n");

    s.use_keys("2:" + new_key);
    auto after = s.poll({"--days", "3"});
    INFO(after.err);
    CHECK(after.exit_code == 0);
    CHECK(s.count("SELECT count(*) FROM oura.sync_state WHERE status NOT IN ('ok', 'never')") == 0);
    CHECK(sim.successful_grants("refresh_token") == 0);
}

TEST_CASE("a token sealed with a key no longer configured fails only its own user, named by id", "[e2e][tokens]") {
    Simulator sim({"--users", "2", "--days", "3"});
    TestDatabase db;
    Setup s(sim, db);
    auto ids = sim.users();
    s.add_user(ids[0]);  // sealed with key 1
    s.use_keys("2:" + new_key + ",1:" + old_key);
    s.add_user(ids[1]);  // new writes use the newest key
    auto stranded = s.user_id(ids[0]);
    auto fine = s.user_id(ids[1]);
    REQUIRE(s.count("SELECT key_version FROM oura_secret.oauth_tokens WHERE user_id = " + std::to_string(fine)) == 2);

    s.use_keys("2:" + new_key);
    auto run = s.poll({"--days", "3", "--resources", "daily_sleep,sleep"});
    CHECK(run.exit_code == 1);
    CHECK(run.err.find("tokens of user " + std::to_string(stranded) + " are sealed with key version 1, which is not configured") !=
          std::string::npos);
    CHECK(run.err.find(new_key) == std::string::npos);
    CHECK(s.count("SELECT count(*) FROM oura.sync_state WHERE user_id = " + std::to_string(fine) + " AND status = 'ok'") == 2);
    CHECK(s.count("SELECT count(*) FROM oura.oura_documents WHERE user_id = " + std::to_string(fine)) > 0);
    CHECK(s.count("SELECT count(*) FROM oura.oura_documents WHERE user_id = " + std::to_string(stranded)) == 0);

    auto rekey = s.admin({"tokens", "rekey"});
    CHECK(rekey.exit_code == 1);
    CHECK(rekey.out == "re-sealed 0 token pair(s) with key version 2; 1 already used it; 1 unreadable\n");
    CHECK(rekey.err.find("user " + std::to_string(stranded) + ": tokens of user " + std::to_string(stranded) +
                         " are sealed with key version 1") != std::string::npos);

    // Giving the old key back lets rekey finish the move.
    s.use_keys("2:" + new_key + ",1:" + old_key);
    auto fixed = s.admin({"tokens", "rekey"});
    CHECK(fixed.exit_code == 0);
    CHECK(fixed.out == "re-sealed 1 token pair(s) with key version 2; 1 already used it\n");
}

TEST_CASE("a dead grant shows as needing to reconnect in users list and in the pushed metrics", "[e2e][tokens]") {
    Simulator sim({"--users", "1", "--days", "3"});
    TestDatabase db;
    Setup s(sim, db);
    auto id = sim.users()[0];
    auto body = s.token_json(id);
    REQUIRE(s.admin({"users", "add", "--tokens-file", s.write_file(body)}).exit_code == 0);
    auto uid = s.user_id(id);
    // Another client spends the refresh token and keeps the new pair to itself; ours expires.
    s.rotate_elsewhere(refresh_of(body));
    REQUIRE(sim.call("POST", "/_sim/tokens/expire").status == 200);

    std::mutex mutex;
    std::vector<std::string> pushes;
    oura::http::Server gateway({}, [&](const oura::http::Request& req) {
        std::lock_guard lock(mutex);
        pushes.push_back(req.body);
        return oura::http::text_response(200, "");
    });
    gateway.start();
    s.env["OURA_PUSHGATEWAY_URL"] = "http://127.0.0.1:" + std::to_string(gateway.port());
    auto run = s.poll({"--days", "2", "--resources", "daily_sleep"});
    CHECK(run.exit_code == 1);
    CHECK(run.err.find("the grant of user " + std::to_string(uid) + " is dead") != std::string::npos);
    {
        std::lock_guard lock(mutex);
        REQUIRE(pushes.size() == 1);
        CHECK(pushes[0].find("oura_tokens_dead_grants 1") != std::string::npos);
    }
    auto list = s.admin({"users", "list"});
    REQUIRE(list.exit_code == 0);
    CHECK(list.out.find(" dead ") != std::string::npos);
    CHECK(list.out.find("user " + std::to_string(uid) + ": Oura refused the grant; connect the account again") !=
          std::string::npos);

    // Connecting again brings the user back.
    REQUIRE(s.admin({"users", "add", "--tokens-file", s.write_file(s.token_json(id))}).exit_code == 0);
    auto again = s.admin({"users", "list"});
    CHECK(again.out.find("connect the account again") == std::string::npos);
    CHECK(s.poll({"--days", "2", "--resources", "daily_sleep"}).exit_code == 0);
}

TEST_CASE("a refused refresh re-reads the row and uses the pair a re-consent stored meanwhile", "[e2e][tokens]") {
    Simulator sim({"--users", "1", "--days", "3"});
    TestDatabase db;
    Setup s(sim, db);
    auto id = sim.users()[0];
    auto first = s.token_json(id);
    REQUIRE(s.admin({"users", "add", "--tokens-file", s.write_file(first)}).exit_code == 0);
    // The user connects again elsewhere: the stored refresh token is spent, a new pair exists.
    auto [access2, refresh2] = s.rotate_elsewhere(refresh_of(first));
    REQUIRE(sim.call("POST", "/_sim/tokens/expire", R"({"access_token":")" + access_of(first) + "\"}").status == 200);
    // The poller's refresh stays in flight long enough for the new pair to queue behind its row lock.
    REQUIRE(sim.call("POST", "/_sim/faults", R"({"route":"/oauth/token","kind":"latency","latency_ms":6000})").status == 200);

    auto log = s.write_file("");
    auto argv = std::vector<std::string>{oura::test::binary("poller"), "--days", "2", "--concurrency", "1",
                                         "--resources", "daily_sleep,sleep"};
    oura::core::ChildProcess poller(argv, s.env, log);
    oura::test::wait_until("the poller holds the token row lock", [&] { return s.token_row_locks() > 0; });
    auto readd_log = s.write_file("");
    oura::core::ChildProcess readd(
        {oura::test::binary("oura-admin"), "users", "add", "--tokens-file", s.write_file(access2 + "\n" + refresh2 + "\n")},
        s.env, readd_log);
    // The re-consent is queued behind the refresh in flight (and not yet refused).
    oura::test::wait_until("the re-consent waits for the row lock", [&] { return s.waiting_for_locks() > 0; },
                           std::chrono::seconds(5));
    CHECK(s.count("SELECT count(*) FROM oura_secret.oauth_tokens WHERE invalid_at IS NOT NULL") == 0);
    auto code = poller.wait(std::chrono::seconds(60));
    CHECK(readd.wait(std::chrono::seconds(30)) == 0);
    std::ifstream in(log);
    std::string err((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    INFO(err);
    REQUIRE(code);
    CHECK(*code == 0);
    CHECK(err.find("another process stored a new token pair meanwhile") != std::string::npos);
    CHECK(s.count("SELECT count(*) FROM oura_secret.oauth_tokens WHERE invalid_at IS NOT NULL") == 0);
    CHECK(s.count("SELECT count(*) FROM oura.sync_state WHERE status = 'ok'") == 2);
}

TEST_CASE("waiting out a 429 on the token call holds no database connection and no row lock", "[e2e][tokens]") {
    Simulator sim({"--users", "1", "--days", "3"});
    TestDatabase db;
    Setup s(sim, db);
    s.add_user(sim.users()[0]);
    REQUIRE(sim.call("POST", "/_sim/tokens/expire").status == 200);
    REQUIRE(sim.call("POST", "/_sim/faults", R"({"route":"/oauth/token","kind":"429","count":1,"retry_after":20})").status ==
            200);

    auto log = s.write_file("");
    auto argv = std::vector<std::string>{oura::test::binary("poller"), "--days", "2", "--concurrency", "1",
                                         "--resources", "daily_sleep"};
    oura::core::ChildProcess poller(argv, s.env, log);
    oura::test::wait_until("the token endpoint has answered 429", [&] { return sim.answers_with_status(429) > 0; });
    // Within the 20-second pause (long, so a loaded machine cannot outrun it): the poller let go
    // of the row lock and its transaction, and has not refreshed yet (a poller that waits holding
    // them lets go only after the refresh).
    oura::test::wait_until("the poller holds no row lock and no transaction",
                           [&] { return s.token_row_locks() == 0 && s.idle_in_transaction() == 0; },
                           std::chrono::seconds(10));
    CHECK(sim.successful_grants("refresh_token") == 0);
    auto code = poller.wait(std::chrono::seconds(60));
    std::ifstream in(log);
    std::string err((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    INFO(err);
    REQUIRE(code);
    CHECK(*code == 0);
    CHECK(sim.successful_grants("refresh_token") == 1);
    CHECK(s.count("SELECT refresh_count FROM oura_secret.oauth_tokens") == 1);
}
