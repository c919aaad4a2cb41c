// query-api as a real process against the run's PostgreSQL: access, the read API, /api/sql with its
// escape suite, the cache and its invalidation, the event stream, exports, /metrics, erasure.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "harness.hpp"
#include "sim.hpp"
#include "oura/core/json.hpp"
#include "oura/core/process.hpp"
#include "oura/http/client.hpp"
#include "wait.hpp"

using namespace oura;
using namespace std::chrono_literals;

namespace {

constexpr const char* read_token = "read-token-0123456789abcdef";
constexpr const char* admin_token = "admin-token-0123456789abcdef";

std::uint16_t free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = 0;
    ::inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(fd);
    return ntohs(a.sin_port);
}

struct QueryApi {
    const test::TestDatabase& db;
    std::uint16_t port = free_port();
    std::string base = "http://127.0.0.1:" + std::to_string(port);
    std::string log_path;
    std::unique_ptr<core::ChildProcess> process;
    http::Client client{[] {
        http::ClientOptions o;
        o.connect_timeout = 5s;
        o.read_timeout = 60s;
        return o;
    }()};

    explicit QueryApi(const test::TestDatabase& database, std::map<std::string, std::string> extra = {}) : db(database) {
        std::map<std::string, std::string> env{{"OURA_DATABASE_URL", db.writer_url()},
                                               {"OURA_QUERY_SQL_DATABASE_URL", db.sql_url()},
                                               {"OURA_HTTP_ADDRESS", "127.0.0.1"},
                                               {"OURA_HTTP_PORT", std::to_string(port)},
                                               {"OURA_QUERY_READ_TOKENS", read_token},
                                               {"OURA_QUERY_ADMIN_TOKENS", admin_token},
                                               {"OURA_QUERY_SQL_TIMEOUT", "1500ms"},
                                               {"OURA_QUERY_SQL_MAX_ROWS", "1000"},
                                               {"OURA_QUERY_RATE_LIMIT_PER_MINUTE", "100000"},
                                               {"OURA_QUERY_METRICS_CACHE", "1ms"},
                                               {"OURA_QUERY_CORS_ORIGINS", "https://grafana.example.com"},
                                               {"OURA_LOG_LEVEL", "warn"}};
        for (auto& [k, v] : extra) env[k] = v;
        log_path = (std::filesystem::temp_directory_path() / ("query-api-" + std::to_string(port) + ".log")).string();
        process = std::make_unique<core::ChildProcess>(std::vector<std::string>{test::binary("query-api")}, env, log_path);
        test::wait_until("query-api answers /healthz", [&] {
            try {
                return client.get(base + "/healthz").status == 200;
            } catch (const std::exception&) {
                return false;
            }
        });
    }

    http::ClientResponse call(const std::string& method, const std::string& path, const std::string& token = read_token,
                              const std::string& body = {}, http::Headers headers = {}) {
        if (!token.empty()) headers.set("Authorization", "Bearer " + token);
        if (!body.empty() && !headers.get("Content-Type")) headers.set("Content-Type", "application/json");
        return client.request(method, base + path, headers, body);
    }
    http::ClientResponse get(const std::string& path, const std::string& token = read_token) { return call("GET", path, token); }
    http::ClientResponse sql(const std::string& sql, const std::string& params = "[]", const std::string& token = read_token) {
        core::JsonWriter w;
        w.begin_object().field("sql", sql).key("params").raw(params).end_object();
        return call("POST", "/api/sql", token, w.take());
    }
    long rss_kib() const {
        std::ifstream in("/proc/" + std::to_string(process->pid()) + "/status");
        std::string line;
        while (std::getline(in, line))
            if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
        return -1;
    }
};

long long seed_user(const test::TestDatabase& db, const std::string& oura_id) {
    return std::stoll(db.scalar("INSERT INTO oura.users (oura_user_id, email) VALUES ('" + oura_id + "', '" + oura_id +
                                "@example.com') RETURNING user_id"));
}

void seed_days(const test::TestDatabase& db, long long user, int days) {
    auto c = db.connect();
    pqxx::work tx(c);
    tx.exec("INSERT INTO oura.daily_summaries (user_id, day, readiness_score) SELECT " + std::to_string(user) +
            ", d::date, 70 + (extract(day FROM d)::int % 20) FROM generate_series('2024-01-01'::date, '2024-01-01'::date + " +
            std::to_string(days - 1) + ", '1 day') d");
    tx.exec("INSERT INTO oura.heart_rate_samples (user_id, ts, source, bpm) SELECT " + std::to_string(user) +
            ", '2024-01-01T00:00:00Z'::timestamptz + n * interval '5 minutes', 'awake', 60 + n % 40 FROM generate_series(0, 999) n");
    tx.commit();
}

std::string insert_document(const test::TestDatabase& db, long long user, const std::string& id) {
    db.scalar("INSERT INTO oura.oura_documents (user_id, resource, document_id, day, payload, payload_sha256) VALUES (" +
              std::to_string(user) + ", 'daily_sleep', '" + id + "', '2024-02-01', '{\"id\":\"" + id + "\"}', sha256('" + id +
              "')) RETURNING document_id");
    return id;
}

rapidjson::Document json(const http::ClientResponse& r) {
    INFO(r.body);
    return core::parse_json(r.body);
}

// What must be identical before and after the escape suite: objects, privileges, roles, memberships,
// large objects, row counts, the database's ACL.
std::string database_fingerprint(const test::TestDatabase& db) {
    return db.scalar(R"sql(
        SELECT md5(string_agg(x, '|' ORDER BY x)) FROM (
            SELECT format('%s.%s %s %s', n.nspname, c.relname, c.relkind, coalesce(c.relacl::text, '')) AS x
              FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
            UNION ALL SELECT format('role %s %s %s %s %s', rolname, rolsuper, rolinherit, rolcanlogin, rolcreaterole) FROM pg_roles
            UNION ALL SELECT format('member %s %s', roleid::regrole, member::regrole) FROM pg_auth_members
            UNION ALL SELECT format('proc %s.%s %s', n.nspname, p.proname, coalesce(p.proacl::text, ''))
              FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
            UNION ALL SELECT 'lo ' || count(*) FROM pg_largeobject_metadata
            UNION ALL SELECT 'db ' || coalesce(datacl::text, '') FROM pg_database WHERE datname = current_database()
            UNION ALL SELECT 'ext ' || extname FROM pg_extension
            UNION ALL SELECT 'users ' || count(*) FROM oura.users
            UNION ALL SELECT 'docs ' || count(*) FROM oura.oura_documents
            UNION ALL SELECT 'daily ' || count(*) || ' ' || coalesce(sum(readiness_score), 0) FROM oura.daily_summaries
            UNION ALL SELECT 'tokens ' || count(*) FROM oura_secret.oauth_tokens
        ) s
    )sql");
}

// The pooled SQL connection's session as a request sees it: nothing a previous request set may show.
constexpr const char* session_probe = R"sql(
    SELECT current_user AS cu, session_user AS su, current_setting('search_path') AS sp, current_setting('work_mem') AS wm,
           current_setting('TimeZone') AS tz, current_setting('escape.test', true) AS custom,
           current_setting('transaction_read_only') AS ro, current_setting('default_transaction_read_only') AS dro,
           (SELECT count(*) FROM pg_listening_channels()) AS listening,
           (SELECT count(*) FROM pg_prepared_statements) AS prepared,
           (SELECT count(*) FROM pg_cursors) AS cursors,
           (SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()) AS advisory,
           (SELECT count(*) FROM pg_class WHERE relpersistence = 't') AS temp_tables
)sql";

}  // namespace

TEST_CASE("query-api refuses missing and wrong tokens, keeps read tokens off admin routes, and sets security headers", "[e2e][query-api]") {
    test::TestDatabase db;
    QueryApi api(db);

    auto none = api.get("/api/stats", "");
    CHECK(none.status == 401);
    CHECK(none.headers.get("WWW-Authenticate").value_or("") == R"(Bearer realm="oura")");
    CHECK(json(none)["error"].GetString() == std::string("unauthorized"));
    CHECK(api.get("/api/stats", "wrong-token-0123456789abcdef").status == 401);
    CHECK(api.get("/api/stats").status == 200);
    CHECK(api.get("/api/stats", admin_token).status == 200);
    CHECK(api.get("/admin/users").status == 403);
    CHECK(api.get("/admin/users", admin_token).status == 200);
    CHECK(api.call("DELETE", "/admin/users/1/data").status == 403);

    for (const auto* path : {"/api/stats", "/healthz", "/openapi.json", "/nowhere"}) {
        auto r = api.get(path);
        INFO(path);
        CHECK(r.headers.get("X-Content-Type-Options").value_or("") == "nosniff");
        CHECK(r.headers.get("X-Frame-Options").value_or("") == "DENY");
        CHECK(r.headers.get("Content-Security-Policy").has_value());
        CHECK(r.headers.get("Referrer-Policy").value_or("") == "no-referrer");
    }
    // An internal failure never shows internals: an unknown path is a plain JSON 404.
    auto missing = api.get("/nowhere");
    CHECK(missing.status == 404);
    CHECK(missing.body.find("oura.") == std::string::npos);
}

TEST_CASE("query-api answers CORS only for configured origins", "[e2e][query-api]") {
    test::TestDatabase db;
    QueryApi api(db);
    http::Headers good;
    good.set("Origin", "https://grafana.example.com");
    good.set("Access-Control-Request-Method", "POST");
    auto pre = api.call("OPTIONS", "/api/sql", "", {}, good);
    CHECK(pre.status == 204);
    CHECK(pre.headers.get("Access-Control-Allow-Origin").value_or("") == "https://grafana.example.com");
    CHECK(pre.headers.get("Access-Control-Allow-Headers").value_or("").find("Authorization") != std::string::npos);
    auto get = api.call("GET", "/api/stats", read_token, {}, good);
    CHECK(get.headers.get("Access-Control-Allow-Origin").value_or("") == "https://grafana.example.com");

    http::Headers evil;
    evil.set("Origin", "https://evil.example.com");
    evil.set("Access-Control-Request-Method", "POST");
    auto bad = api.call("OPTIONS", "/api/sql", "", {}, evil);
    CHECK(bad.status == 403);
    CHECK_FALSE(bad.headers.get("Access-Control-Allow-Origin").has_value());
    CHECK_FALSE(api.call("GET", "/api/stats", read_token, {}, evil).headers.get("Access-Control-Allow-Origin").has_value());
}

TEST_CASE("query-api rate-limits each client and locks out a client guessing tokens", "[e2e][query-api]") {
    test::TestDatabase db;
    QueryApi api(db, {{"OURA_QUERY_RATE_LIMIT_PER_MINUTE", "60"}, {"OURA_QUERY_AUTH_FAILURES_PER_MINUTE", "3"}});
    // Three wrong guesses use up the failure allowance: the fourth request, even with a good token, waits.
    for (int i = 0; i < 3; ++i) CHECK(api.get("/api/stats", "guess-" + std::to_string(i) + "-0123456789abcdef").status == 401);
    auto locked = api.get("/api/stats");
    CHECK(locked.status == 429);
    CHECK(std::stoi(std::string(locked.headers.get("Retry-After").value_or("0"))) >= 1);
    // Probes are never limited (Kubernetes must see the pod alive).
    CHECK(api.get("/healthz", "").status == 200);

    QueryApi api2(db, {{"OURA_QUERY_RATE_LIMIT_PER_MINUTE", "60"}});
    int ok = 0, limited = 0;
    for (int i = 0; i < 30; ++i) (api2.get("/api/stats").status == 429 ? limited : ok)++;
    CHECK(ok >= 10);  // the burst: a tenth of a minute's allowance
    CHECK(limited > 0);
}

TEST_CASE("query-api read API pages daily summaries and heart rate and names bad parameters", "[e2e][query-api]") {
    test::TestDatabase db;
    auto user = seed_user(db, "u-read");
    seed_days(db, user, 40);
    QueryApi api(db);
    auto u = std::to_string(user);

    auto page1 = api.get("/api/daily_summaries?user=" + u + "&start=2024-01-01&end=2024-02-09&limit=25");
    REQUIRE(page1.status == 200);
    auto d1 = json(page1);
    CHECK(d1["data"].Size() == 25);
    CHECK(d1["data"][0]["day"].GetString() == std::string("2024-01-01"));
    CHECK(d1["data"][0]["readiness_score"].IsNumber());
    REQUIRE(d1["next_cursor"].IsString());
    auto page2 = json(api.get("/api/daily_summaries?user=" + u + "&start=2024-01-01&end=2024-02-09&limit=25&cursor=" +
                              d1["next_cursor"].GetString()));
    CHECK(page2["data"].Size() == 15);
    CHECK(page2["data"][0]["day"].GetString() == std::string("2024-01-26"));
    CHECK(page2["next_cursor"].IsNull());

    auto hr = json(api.get("/api/heartrate?user=" + u + "&start=2024-01-01T00:00:00Z&end=2024-01-01T01:00:00Z"));
    CHECK(hr["data"].Size() == 13);
    CHECK(hr["data"][0]["ts"].GetString() == std::string("2024-01-01T00:00:00Z"));
    CHECK(api.get("/api/sleep?user=" + u + "&start=2024-01-01&end=2024-01-31").status == 200);

    struct Bad {
        std::string query, parameter;
    };
    for (const auto& [query, parameter] : std::vector<Bad>{{"/api/daily_summaries?start=2024-13-01", "start"},
                                                          {"/api/daily_summaries?end=yesterday", "end"},
                                                          {"/api/daily_summaries?start=2024-02-01&end=2024-01-01", "start"},
                                                          {"/api/daily_summaries?start=2020-01-01&end=2024-01-01", "end"},
                                                          {"/api/daily_summaries?user=abc", "user"},
                                                          {"/api/daily_summaries?user=999999", "user"},
                                                          {"/api/daily_summaries?limit=0", "limit"},
                                                          {"/api/daily_summaries?cursor=zz", "cursor"},
                                                          {"/api/daily_summaries?cursor=41", "cursor"},
                                                          {"/api/heartrate?start=2024-01-01&end=2024-03-01", "end"},
                                                          {"/api/heartrate?start=noon", "start"},
                                                          {"/api/export?resource=secrets", "resource"},
                                                          {"/api/export?resource=heartrate&format=xml", "format"}}) {
        auto r = api.get(query);
        INFO(query << " -> " << r.body);
        CHECK(r.status == 400);
        CHECK(json(r)["parameter"].GetString() == parameter);
    }

    auto stats = json(api.get("/api/stats"));
    CHECK(stats["data"].IsArray());
    auto info = json(api.get("/api/db/info"));
    CHECK(info["data"][0]["bytes"].GetInt64() > 0);
    insert_document(db, user, "doc-events-1");
    auto events = json(api.get("/api/events"));
    REQUIRE(events["changes"].Size() >= 1);
    CHECK(events["changes"][0]["document_id"].GetString() == std::string("doc-events-1"));
    CHECK(events["deliveries"].IsArray());
}

TEST_CASE("POST /api/sql answers rows in the shape Grafana Infinity reads, truncates at the cap and refuses bad input", "[e2e][query-api]") {
    test::TestDatabase db;
    auto user = seed_user(db, "u-sql");
    seed_days(db, user, 10);
    QueryApi api(db);

    auto r = api.sql("SELECT day, readiness_score AS score, readiness_score > 75 AS good FROM oura.daily_summaries "
                     "WHERE user_id = $1 AND day <= $2::date ORDER BY day",
                     "[" + std::to_string(user) + ", \"2024-01-03\"]");
    REQUIRE(r.status == 200);
    auto d = json(r);
    CHECK(d["columns"][0]["name"].GetString() == std::string("day"));
    CHECK(d["columns"][0]["type"].GetString() == std::string("time"));
    CHECK(d["columns"][1]["type"].GetString() == std::string("number"));
    CHECK(d["columns"][2]["type"].GetString() == std::string("boolean"));
    CHECK(d["rows"].Size() == 3);
    CHECK(d["rows"][0]["day"].GetString() == std::string("2024-01-01"));
    CHECK(d["rows"][0]["score"].IsNumber());
    CHECK(d["truncated"].IsFalse());
    CHECK(d["row_count"].GetInt() == 3);

    auto big = json(api.sql("SELECT g FROM generate_series(1, 5000) g"));
    CHECK(big["rows"].Size() == 1000);
    CHECK(big["truncated"].IsTrue());

    CHECK(api.sql("SELECT 1", "[[1]]").status == 400);
    CHECK(json(api.sql("SELECT 1", "[{\"a\":1}]"))["parameter"].GetString() == std::string("params"));
    CHECK(api.call("POST", "/api/sql", read_token, "not json").status == 400);
    CHECK(api.call("POST", "/api/sql", read_token, "{\"sql\": 5}").status == 400);
    auto syntax = api.sql("SELEC nonsense");
    CHECK(syntax.status == 400);
    CHECK(json(syntax)["sqlstate"].GetString() == std::string("42601"));
    auto slow = api.sql("SELECT pg_sleep(10)");
    CHECK(slow.status == 504);
    CHECK(slow.body.find("pg_sleep") == std::string::npos);  // no SQL text in errors
}

TEST_CASE("the /api/sql escape suite: 200+ hostile statements change nothing in the database, its grants or the pooled connection", "[e2e][query-api]") {
    test::TestDatabase db;
    auto user = seed_user(db, "u-escape");
    seed_days(db, user, 5);
    db.scalar("INSERT INTO oura_secret.oauth_tokens (user_id, access_token, key_version) VALUES (" + std::to_string(user) +
              ", '\\x00', 1) RETURNING user_id");
    // One pooled connection: every attempt runs on the connection the final probe inspects.
    QueryApi api(db, {{"OURA_QUERY_SQL_POOL_SIZE", "1"}, {"OURA_QUERY_CACHE_BYTES", "0"}});
    const auto before = database_fingerprint(db);
    auto baseline = api.sql(session_probe);
    REQUIRE(baseline.status == 200);

    // Each must be refused (4xx) or timed out; none may write, grant or leave state behind.
    const std::vector<std::string> refused = {
        "SELECT 1; COMMIT; CREATE TABLE oura.pwned (x int)",
        "SELECT 1; DROP TABLE oura.users",
        "COMMIT; DELETE FROM oura.users",
        "COMMIT",
        "ROLLBACK",
        "COMMIT AND CHAIN",
        "BEGIN",
        "SET ROLE oura_writer",
        "SET ROLE postgres",
        "SET SESSION AUTHORIZATION postgres",
        "RESET ROLE",
        "SET TRANSACTION READ WRITE",
        "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE",
        "SET statement_timeout = 0",
        "SET work_mem = '1GB'",
        "SET search_path = public",
        "SET LOCAL search_path = public",
        "RESET ALL",
        "DISCARD ALL",
        "SELECT set_config('role', 'oura_writer', false)",
        "SELECT set_config('session_authorization', 'postgres', false)",
        "SELECT set_config('transaction_read_only', 'off', false)",
        "SELECT set_config('default_transaction_read_only', 'off', false), 1 FROM oura.users FOR UPDATE",
        "WITH x AS (DELETE FROM oura.users RETURNING *) SELECT * FROM x",
        "WITH x AS (UPDATE oura.daily_summaries SET readiness_score = 0 RETURNING *) SELECT count(*) FROM x",
        "WITH x AS (INSERT INTO oura.users (oura_user_id) VALUES ('evil') RETURNING *) SELECT * FROM x",
        "INSERT INTO oura.users (oura_user_id) VALUES ('evil')",
        "UPDATE oura.daily_summaries SET readiness_score = 0",
        "DELETE FROM oura.daily_summaries",
        "TRUNCATE oura.daily_summaries",
        "CREATE TABLE oura.pwned (x int)",
        "CREATE TEMP TABLE t (x int)",
        "CREATE TEMP TABLE t AS SELECT 1",
        "SELECT 1 INTO TEMP TABLE t2",
        "DROP TABLE oura.users",
        "ALTER TABLE oura.users ADD COLUMN pwned int",
        "GRANT SELECT ON oura_secret.oauth_tokens TO PUBLIC",
        "GRANT oura_writer TO oura_test_sql",
        "ALTER ROLE oura_test_sql SUPERUSER",
        "CREATE ROLE evil LOGIN SUPERUSER",
        "CREATE FUNCTION oura.f() RETURNS int LANGUAGE sql AS 'SELECT 1'",
        "CREATE EXTENSION dblink",
        "SELECT dblink_exec('dbname=postgres', 'CREATE ROLE evil')",
        "COPY oura.users TO PROGRAM 'touch /tmp/pwned'",
        "COPY oura.users FROM PROGRAM 'id'",
        "COPY oura.users TO '/tmp/users.csv'",
        "COPY (SELECT 1) TO STDOUT",
        "COPY oura.users FROM STDIN",
        "SELECT lo_import('/etc/passwd')",
        "SELECT pg_read_file('/etc/passwd')",
        "SELECT pg_read_binary_file('/etc/passwd')",
        "SELECT pg_ls_dir('.')",
        "SELECT pg_stat_file('postgresql.conf')",
        "SELECT pg_reload_conf()",
        "SELECT pg_rotate_logfile()",
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid()",
        "SELECT * FROM oura_secret.oauth_tokens",
        "SELECT access_token FROM oura_secret.oauth_tokens",
        "SELECT * FROM oura_secret.oauth_states",
        "SELECT * FROM pg_authid",
        "SELECT rolpassword FROM pg_authid",
        "SELECT * FROM pg_shadow",
        "SELECT * FROM oura.users FOR UPDATE",
        "SELECT * FROM oura.daily_summaries FOR SHARE",
        "SELECT * FROM oura.users FOR NO KEY UPDATE",
        "LOCK TABLE oura.users IN ACCESS EXCLUSIVE MODE",
        "NOTIFY oura_changes",
        "SELECT pg_notify('oura_changes', 'x'), * FROM oura.users FOR UPDATE",
        "LISTEN evil",
        "UNLISTEN *",
        "PREPARE p AS SELECT 1",
        "EXECUTE p",
        "DEALLOCATE ALL",
        "DECLARE c CURSOR WITH HOLD FOR SELECT 1",
        "DO $$ BEGIN EXECUTE 'CREATE TABLE oura.pwned (x int)'; END $$",
        "CALL oura.nothing()",
        "VACUUM oura.users",
        "ANALYZE oura.users",
        "CHECKPOINT",
        "REINDEX TABLE oura.users",
        "CLUSTER oura.users",
        "REFRESH MATERIALIZED VIEW oura.nothing",
        "SELECT nextval('oura.users_user_id_seq')",
        "SELECT setval('oura.users_user_id_seq', 1)",
        "SELECT oura.erase_user(1)",
        "SELECT * FROM oura.erase_user(1)",
        "SELECT pg_sleep(5)",
        "SELECT count(*) FROM generate_series(1, 1000000000)",
        "SELECT 1 /* unterminated",
        "SELECT 'unterminated",
        "SELECT \"unterminated",
        "SELECT $$unterminated",
        "",
        " ",
        "-- only a comment",
        ";",
        "SELECT 1; SELECT 2",
        "SELECT 1 \\; COMMIT",
        "SELECT E'\\x27'; DROP TABLE oura.users; --'",
        "SELECT $1; DROP TABLE oura.users",
        "SELECT 'x' || (SELECT current_setting('is_superuser'))::text; ALTER ROLE oura_test_sql SUPERUSER",
        "SELECT pg_advisory_lock(1); COMMIT",
        "SELECT \xff\xfe",
        "SELECT '\xc3\x28'",
        "SELECT U&'\\D800'",
        "SECURITY LABEL ON TABLE oura.users IS 'x'",
        "COMMENT ON TABLE oura.users IS 'pwned'",
        "CREATE INDEX ON oura.users (email)",
        "CREATE SCHEMA evil",
        "CREATE VIEW oura.v AS SELECT 1",
        "ALTER DEFAULT PRIVILEGES GRANT ALL ON TABLES TO PUBLIC",
        "SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE",
        "ALTER SYSTEM SET log_statement = 'all'",
        "LOAD 'plpgsql'",
        "IMPORT FOREIGN SCHEMA x FROM SERVER y INTO oura",
        "CREATE SERVER s FOREIGN DATA WRAPPER postgres_fdw",
        "SELECT pg_create_restore_point('x')",
        "SELECT pg_switch_wal()",
        "SELECT pg_create_logical_replication_slot('s', 'test_decoding')",
        "SELECT * FROM dblink('dbname=postgres', 'SELECT 1') AS t(x int)",
        "EXPLAIN ANALYZE DELETE FROM oura.users",
        "SELECT 1 FROM oura.users WHERE email = '' OR 1=1; DELETE FROM oura.users",
    };
    // May succeed (privileges allow them, or they are harmless in a read-only transaction), but
    // must leave nothing behind on the pooled connection.
    const std::vector<std::string> contained = {
        "SELECT pg_advisory_lock(42)",
        "SELECT pg_advisory_lock_shared(43)",
        "SELECT pg_try_advisory_lock(44)",
        "SELECT pg_advisory_xact_lock(45)",
        "SELECT set_config('escape.test', 'left-behind', false)",
        "SELECT set_config('search_path', 'public', false)",
        "SELECT set_config('work_mem', '1GB', false)",
        "SELECT set_config('statement_timeout', '0', false)",
        "SELECT set_config('TimeZone', 'Pacific/Auckland', false)",
        "SELECT current_user, session_user",
        "SELECT rolname FROM pg_roles",
        "SELECT count(*) FROM oura.users",
        "SELECT * FROM pg_stat_activity",
        "SELECT pg_cancel_backend(pg_backend_pid())",
        "SELECT pg_sleep(0.01)",
        "SELECT repeat('x', 1000000)",
        "SELECT g, repeat('y', 100) FROM generate_series(1, 100000) g",
        "/* comment */ SELECT 1",
        "SELECT 1 -- trailing comment",
        "SELECT $tag$;COMMIT;$tag$",
        "SELECT 'a;COMMIT;b'",
        "SELECT \"current_user\" FROM (SELECT 1 AS \"current_user\") s",
        "SELECT $1::text",
        "SELECT has_table_privilege('oura_secret.oauth_tokens', 'SELECT')",
        "SELECT pg_listening_channels()",
        "(SELECT 1)",
        "VALUES (1), (2)",
        "TABLE oura.users",
        "SHOW ALL",
        "SELECT 1 AS a, 2 AS a",
        // Accepted by PostgreSQL inside a read-only transaction, undone by the ROLLBACK (the
        // fingerprint below counts large objects).
        "SELECT lo_create(0)",
        "SELECT lo_from_bytea(0, 'x')",
        "SELECT * FROM pg_user_mappings",
        "SELECT 1;;",
        "SELECT txid_current()",
        "SELECT pg_current_xact_id()",
    };
    int attempts = 0;
    auto attempt = [&](const std::string& sql, bool must_refuse) {
        ++attempts;
        // A parameter only where the statement has a placeholder: a count mismatch would refuse
        // every attempt before it ran and prove nothing.
        auto r = api.sql(sql, sql.find("$1") != std::string::npos ? "[\"x\"]" : "[]");
        INFO(sql << " -> " << r.status << " " << r.body.substr(0, 300));
        CHECK(r.status != 500);
        CHECK(r.status != 503);
        if (must_refuse) {
            CHECK((r.status == 400 || r.status == 504));
            CHECK(r.body.find("oura_test_sql") == std::string::npos);  // errors name no role
        }
    };
    // Every statement plain, behind a comment, and in upper case with a trailing comment: three
    // spellings the server parses alike.
    for (const auto& s : refused) {
        attempt(s, true);
        attempt("/* x */ " + s, true);
        std::string upper = s;
        for (auto& c : upper)
            if (c >= 'a' && c <= 'z' && s.find('\'') == std::string::npos && s.find('"') == std::string::npos) c = static_cast<char>(c - 32);
        attempt(upper + "\n-- tail", true);
    }
    for (const auto& s : contained) attempt(s, false);
    CHECK(attempts >= 200);

    // The answer that matters: nothing moved.
    CHECK(database_fingerprint(db) == before);
    CHECK(db.scalar("SELECT count(*) FROM pg_class WHERE relname = 'pwned'") == "0");
    auto after = api.sql(session_probe);
    REQUIRE(after.status == 200);
    auto b = json(baseline), a = json(after);
    CHECK(core::to_json(a["rows"]) == core::to_json(b["rows"]));
    CHECK(a["rows"][0]["cu"].GetString() == std::string("oura_reader"));
    CHECK(a["rows"][0]["su"].GetString() == std::string("oura_test_sql"));
    CHECK(a["rows"][0]["advisory"].GetInt() == 0);
    CHECK(a["rows"][0]["custom"].IsNull());
    // No SQL backend sits in a transaction or holds a lock between requests.
    CHECK(db.scalar("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'oura-query-api-sql' "
                    "AND datname = current_database() AND state <> 'idle'") == "0");
    CHECK(db.scalar("SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                    "WHERE a.application_name = 'oura-query-api-sql' AND a.datname = current_database() AND l.locktype = 'advisory'") == "0");
}

TEST_CASE("/api/sql answers from the cache until a write through the store invalidates it", "[e2e][query-api]") {
    test::TestDatabase db;
    auto user = seed_user(db, "u-cache");
    QueryApi api(db);
    const std::string q = "SELECT count(*) AS n FROM oura.oura_documents";
    auto first = api.sql(q);
    CHECK(first.headers.get("X-Cache").value_or("") == "miss");
    // The change listener treats its first connection as a change (it may have missed some), so a
    // repeat right at start-up can still be a miss; from then on the answer comes from the cache.
    http::ClientResponse second;
    test::wait_until("a repeat is answered from the cache", [&] {
        second = api.sql(q);
        return second.headers.get("X-Cache").value_or("") == "hit";
    }, 10s);
    CHECK(second.body == first.body);
    CHECK(api.sql(q).headers.get("X-Cache").value_or("") == "hit");
    // Other parameters, another role: other keys.
    CHECK(api.sql(q, "[]", admin_token).headers.get("X-Cache").value_or("") == "miss");

    insert_document(db, user, "doc-cache-1");
    test::wait_until("the cache is invalidated", [&] {
        auto r = api.sql(q);
        return r.headers.get("X-Cache").value_or("") == "miss" && json(r)["rows"][0]["n"].GetInt() == 1;
    }, 5s);
}

TEST_CASE("the event stream sends each document change as it commits and resumes after Last-Event-ID", "[e2e][query-api]") {
    test::TestDatabase db;
    auto user = seed_user(db, "u-sse");
    QueryApi api(db);

    auto open_stream = [&](const std::string& extra_header) {
        int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(api.port);
        ::inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
        REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
        timeval tv{10, 0};
        ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        std::string req = "GET /api/events/stream HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + std::string(read_token) +
                          "\r\n" + extra_header + "\r\n";
        REQUIRE(::send(fd, req.data(), req.size(), 0) == static_cast<ssize_t>(req.size()));
        return fd;
    };
    auto read_until = [](int fd, const std::string& needle) {
        std::string got;
        char buf[4096];
        while (got.find(needle) == std::string::npos) {
            auto n = ::recv(fd, buf, sizeof buf, 0);
            if (n <= 0) break;
            got.append(buf, static_cast<std::size_t>(n));
        }
        return got;
    };

    int fd = open_stream("");
    auto head = read_until(fd, ": connected");
    CHECK(head.find("text/event-stream") != std::string::npos);
    insert_document(db, user, "doc-sse-1");
    auto got = read_until(fd, "doc-sse-1");
    REQUIRE(got.find("doc-sse-1") != std::string::npos);
    CHECK(got.find("event: change") != std::string::npos);
    auto id_at = got.find("id: ");
    REQUIRE(id_at != std::string::npos);
    auto first_id = std::stoll(got.substr(id_at + 4));
    ::close(fd);

    // Missed while disconnected: delivered on reconnect from the last id seen.
    insert_document(db, user, "doc-sse-2");
    int fd2 = open_stream("Last-Event-ID: " + std::to_string(first_id) + "\r\n");
    auto resumed = read_until(fd2, "doc-sse-2");
    CHECK(resumed.find("doc-sse-2") != std::string::npos);
    CHECK(resumed.find("doc-sse-1") == std::string::npos);
    ::close(fd2);
}

TEST_CASE("query-api exports a million heart-rate rows as CSV while its memory stays flat", "[e2e][query-api]") {
    test::TestDatabase db;
    auto user = seed_user(db, "u-export");
    {
        auto c = db.connect();
        pqxx::nontransaction tx(c);
        tx.exec("INSERT INTO oura.heart_rate_samples (user_id, ts, source, bpm) SELECT " + std::to_string(user) +
                ", '2024-01-01T00:00:00Z'::timestamptz + n * interval '2 seconds', 'workout', 60 + n % 100 "
                "FROM generate_series(0, 999999) n");
    }
    // The sanitizer build keeps freed memory in a quarantine (256 MiB by default) and would show
    // every freed page as growth: only what the process holds on to should count here.
    auto t0 = std::chrono::steady_clock::now();
    QueryApi api(db, {{"ASAN_OPTIONS", "quarantine_size_mb=1:thread_local_quarantine_size_kb=64:allocator_release_to_os_interval_ms=100"}});
    // Warm up: the first export allocates the pools and caches a steady state keeps.
    api.get("/api/export?resource=heartrate&format=csv&user=" + std::to_string(user) + "&start=2024-01-01T00:00:00Z&end=2024-01-01T06:00:00Z");
    auto idle = api.rss_kib();

    // Read the response slowly over a raw socket, sampling the server's RSS as it streams.
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(api.port);
    ::inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    std::string req = "GET /api/export?resource=heartrate&format=csv&user=" + std::to_string(user) +
                      "&start=2024-01-01&end=2024-02-01 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + read_token + "\r\n\r\n";
    ::send(fd, req.data(), req.size(), 0);
    std::size_t bytes = 0, lines = 0;
    long peak = idle;
    std::string head;
    char buf[65536];
    for (;;) {
        auto n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        if (head.size() < 512) head.append(buf, static_cast<std::size_t>(std::min<ssize_t>(n, 512)));
        bytes += static_cast<std::size_t>(n);
        for (ssize_t i = 0; i < n; ++i) lines += buf[i] == '\n';
        if ((bytes / 65536) % 64 == 0) peak = std::max(peak, api.rss_kib());
    }
    ::close(fd);
    WARN("export took " << std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    peak = std::max(peak, api.rss_kib());
    CHECK(head.find("Content-Disposition: attachment; filename=\"heartrate_2024-01-01_2024-02-01.csv\"") != std::string::npos);
    CHECK(head.find("user_id,ts,bpm,source") != std::string::npos);
    CHECK(lines >= 1000001);  // the header and a million rows (chunk framing adds lines)
    WARN("export: " << bytes << " bytes, RSS idle " << idle << " KiB, peak " << peak << " KiB");
    // Flat: the CSV is ~40 MiB; holding it would add at least that.
    CHECK(peak - idle < 24 * 1024);
}

TEST_CASE("query-api /metrics carries the database-derived gauges and promtool accepts it", "[e2e][query-api]") {
    test::TestDatabase db;
    auto user = seed_user(db, "u-metrics");
    db.scalar("INSERT INTO oura.sync_state (user_id, resource, status, last_success_at) VALUES (" + std::to_string(user) +
              ", 'daily_sleep', 'ok', '2024-01-01T00:00:00Z') RETURNING 1");
    db.scalar("INSERT INTO oura.jobs (kind, state) VALUES ('backfill_chunk', 'pending') RETURNING 1");
    db.scalar("INSERT INTO oura.table_stats (table_name, row_estimate, total_bytes) VALUES ('oura.users', 1, 8192) RETURNING 1");
    QueryApi api(db);
    auto m = api.get("/metrics", "");
    REQUIRE(m.status == 200);
    CHECK(m.body.find("oura_database_up 1") != std::string::npos);
    CHECK(m.body.find("oura_sync_last_success_timestamp_seconds{resource=\"daily_sleep\",user=\"" + std::to_string(user) + "\"} 1704067200") !=
          std::string::npos);
    CHECK(m.body.find("oura_jobs{kind=\"backfill_chunk\",state=\"pending\"} 1") != std::string::npos);
    CHECK(m.body.find("oura_jobs_oldest_pending_age_seconds{kind=\"backfill_chunk\"}") != std::string::npos);
    CHECK(m.body.find("oura_webhook_inbox_lag_seconds 0") != std::string::npos);
    CHECK(m.body.find("oura_users_needing_reconnect 1") != std::string::npos);
    CHECK(m.body.find("oura_database_up 1") != std::string::npos);
    CHECK(m.body.find("oura_table_rows{table=\"oura.users\"} 1") != std::string::npos);
    // A backfill requested through the admin route shows as pending chunks.
    auto bf = api.call("POST", "/admin/backfills", admin_token,
                       "{\"users\": [" + std::to_string(user) + "], \"from\": \"2024-01-01\", \"to\": \"2024-01-10\", \"resources\": [\"daily_sleep\"]}");
    REQUIRE(bf.status == 201);
    auto bf_id = json(bf)["id"].GetInt64();
    auto status = json(api.get("/admin/backfills/" + std::to_string(bf_id), admin_token));
    CHECK(status["state"].GetString() == std::string("running"));
    CHECK(status["totals"]["chunks"].GetInt() >= 1);
    CHECK(api.get("/admin/backfills/999999", admin_token).status == 404);
    CHECK(json(api.call("POST", "/admin/backfills", admin_token, "{\"users\": [1], \"from\": \"2024-02-30\", \"to\": \"2024-03-01\"}"))["parameter"].GetString() ==
          std::string("from"));
    CHECK(json(api.call("POST", "/admin/backfills", admin_token, "{\"users\": [999999], \"from\": \"2024-01-01\", \"to\": \"2024-01-02\"}"))["parameter"].GetString() ==
          std::string("users"));
    CHECK(api.call("POST", "/admin/backfills", read_token, "{}").status == 403);
    m = api.get("/metrics", "");
    CHECK(m.body.find("oura_backfill_chunks{state=\"pending\"}") != std::string::npos);
    CHECK(m.body.find("oura_http_requests_total") != std::string::npos);
    auto path = (std::filesystem::temp_directory_path() / ("query-api-metrics-" + std::to_string(api.port) + ".txt")).string();
    std::ofstream(path) << m.body;
    auto check = core::run_process({"sh", "-c", "promtool check metrics < " + path});
    INFO(check.out << check.err);
    CHECK(check.exit_code == 0);
    std::filesystem::remove(path);
}

TEST_CASE("DELETE /admin/users/{id}/data erases every row of that user and answers the counts", "[e2e][query-api]") {
    test::TestDatabase db;
    auto keep = seed_user(db, "u-keep");
    auto gone = seed_user(db, "u-gone");
    seed_days(db, keep, 3);
    seed_days(db, gone, 3);
    insert_document(db, gone, "doc-gone");
    db.scalar("INSERT INTO oura.sync_state (user_id, resource) VALUES (" + std::to_string(gone) + ", 'daily_sleep') RETURNING 1");
    db.scalar("INSERT INTO oura.jobs (kind, user_id) VALUES ('backfill_chunk', " + std::to_string(gone) + ") RETURNING 1");
    db.scalar("INSERT INTO oura_secret.oauth_tokens (user_id, access_token, key_version) VALUES (" + std::to_string(gone) +
              ", '\\x00', 1) RETURNING 1");
    db.scalar("INSERT INTO oura.webhook_inbox (event_type, data_type, object_id, event_time, oura_user_id, body) "
              "VALUES ('create', 'daily_sleep', 'o', now(), 'u-gone', '{}') RETURNING 1");
    QueryApi api(db);

    auto r = api.call("DELETE", "/admin/users/" + std::to_string(gone) + "/data", admin_token);
    REQUIRE(r.status == 200);
    auto d = json(r);
    CHECK(d["deleted"]["oura.daily_summaries"].GetInt() == 3);
    CHECK(d["deleted"]["oura.heart_rate_samples"].GetInt() == 1000);
    CHECK(d["deleted"]["oura.oura_documents"].GetInt() == 1);
    CHECK(d["deleted"]["oura_secret.oauth_tokens"].GetInt() == 1);
    CHECK(d["deleted"]["oura.webhook_inbox"].GetInt() == 1);
    CHECK(d["deleted"]["oura.users"].GetInt() == 1);
    // No table with a user_id column holds a row of that user; the other user is untouched.
    auto c = db.connect();
    pqxx::nontransaction tx(c);
    for (const auto& row : tx.exec("SELECT table_schema, table_name FROM information_schema.columns WHERE column_name = 'user_id' "
                                   "AND table_schema IN ('oura', 'oura_secret') AND table_name IN (SELECT tablename FROM pg_tables)")) {
        auto table = row[0].as<std::string>() + "." + row[1].as<std::string>();
        INFO(table);
        CHECK(tx.exec1("SELECT count(*) FROM " + table + " WHERE user_id = " + std::to_string(gone))[0].as<int>() == 0);
    }
    CHECK(db.scalar("SELECT count(*) FROM oura.webhook_inbox WHERE oura_user_id = 'u-gone'") == "0");
    CHECK(db.scalar("SELECT count(*) FROM oura.daily_summaries WHERE user_id = " + std::to_string(keep)) == "3");
    CHECK(api.call("DELETE", "/admin/users/" + std::to_string(gone) + "/data", admin_token).status == 404);
    CHECK(api.call("DELETE", "/admin/users/abc/data", admin_token).status == 400);

    CHECK(api.call("POST", "/admin/users/" + std::to_string(keep) + "/disable", admin_token).status == 200);
    CHECK(db.scalar("SELECT status FROM oura.users WHERE user_id = " + std::to_string(keep)) == "paused");
    CHECK(api.call("POST", "/admin/users/" + std::to_string(keep) + "/disconnect", admin_token).status == 200);
    CHECK(db.scalar("SELECT status FROM oura.users WHERE user_id = " + std::to_string(keep)) == "revoked");
    CHECK(json(api.get("/admin/users", admin_token))["data"].Size() == 1);
}

TEST_CASE("every route in /openapi.json exists and every route answers is in it", "[e2e][query-api]") {
    test::TestDatabase db;
    QueryApi api(db);
    auto spec = json(api.get("/openapi.json", ""));
    std::set<std::string> listed;
    for (auto p = spec["paths"].MemberBegin(); p != spec["paths"].MemberEnd(); ++p) {
        for (auto m = p->value.MemberBegin(); m != p->value.MemberEnd(); ++m) {
            std::string method = m->name.GetString();
            for (auto& ch : method) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
            std::string path = p->name.GetString();
            listed.insert(method + " " + path);
            auto concrete = path;
            if (auto at = concrete.find("{id}"); at != std::string::npos) concrete.replace(at, 4, "1");
            if (path == "/api/events/stream") continue;  // never ends; covered by its own test
            auto r = api.call(method, concrete, admin_token);
            INFO(method << " " << path << " -> " << r.status << " " << r.body);
            // A route that exists may answer 404 for an unknown user, never the router's 404.
            CHECK((r.status != 404 || r.body.find("no such") != std::string::npos));
            CHECK(r.status != 405);
        }
    }
    // The routes the service is meant to have (issue 11) are all documented.
    for (const auto* route : {"GET /api/daily_summaries", "GET /api/sleep", "GET /api/heartrate", "GET /api/stats", "GET /api/db/info",
                              "GET /api/events", "GET /api/events/stream", "POST /api/sql", "GET /api/export", "GET /status",
                              "GET /openapi.json", "GET /metrics", "GET /healthz", "GET /readyz", "GET /admin/users",
                              "POST /admin/users/{id}/disable", "POST /admin/users/{id}/disconnect", "DELETE /admin/users/{id}/data",
                              "POST /admin/backfills", "GET /admin/backfills/{id}", "GET /oauth/start", "GET /admin/webhooks",
                              "POST /admin/webhooks/ensure", "POST /admin/webhooks/renew"}) {
        INFO(route);
        CHECK(listed.count(route) == 1);
    }
    // And a path not in the spec does not answer.
    CHECK(api.get("/api/secret", admin_token).status == 404);
}

TEST_CASE("the status page asks for a login, sets an HttpOnly cookie and shows the seeded pipeline", "[e2e][query-api]") {
    test::TestDatabase db;
    auto user = seed_user(db, "u-status");
    db.scalar("INSERT INTO oura.sync_state (user_id, resource, status, last_success_at, last_error) VALUES (" + std::to_string(user) +
              ", 'heartrate', 'error', now() - interval '3 days', 'Oura answered 503') RETURNING 1");
    QueryApi api(db, {{"OURA_QUERY_COOKIE_SECURE", "false"}});
    auto anon = api.get("/status", "");
    CHECK(anon.status == 200);
    CHECK(anon.body.find("id=\"login\"") != std::string::npos);
    CHECK(anon.body.find("Oura answered 503") == std::string::npos);

    http::Headers form;
    form.set("Content-Type", "application/x-www-form-urlencoded");
    CHECK(api.call("POST", "/status/login", "", "token=wrong", form).status == 401);
    auto login = api.call("POST", "/status/login", "", std::string("token=") + read_token, form);
    CHECK(login.status == 303);
    auto cookie = std::string(login.headers.get("Set-Cookie").value_or(""));
    CHECK(cookie.find("HttpOnly") != std::string::npos);
    http::Headers with_cookie;
    with_cookie.set("Cookie", cookie.substr(0, cookie.find(';')));
    auto page = api.call("GET", "/status", "", {}, with_cookie);
    CHECK(page.status == 200);
    for (const auto* section : {"id=\"syncs\"", "id=\"jobs\"", "id=\"backfills\"", "id=\"webhooks\"", "id=\"tokens\"", "id=\"tables\"",
                                "id=\"live-changes\"", "Oura answered 503", "freshness stale"})
        CHECK(page.body.find(section) != std::string::npos);
    CHECK(page.body.find(read_token) == std::string::npos);
    // The cookie is good for the page's GETs, never for POST /api/sql.
    CHECK(api.call("GET", "/api/events/stream?after=x", "", {}, with_cookie).status == 400);
    CHECK(api.call("POST", "/api/sql", "", "{\"sql\":\"SELECT 1\"}", with_cookie).status == 401);
}

TEST_CASE("a single-use link from oura-admin status-link logs a browser in once and puts no token in a URL", "[e2e][query-api]") {
    test::TestDatabase db;
    QueryApi api(db, {{"OURA_QUERY_COOKIE_SECURE", "false"}});
    std::map<std::string, std::string> env{{"OURA_DATABASE_URL", db.writer_url()}, {"OURA_LOG_LEVEL", "warn"}};
    auto made = test::run_binary("oura-admin", {"status-link", "--ttl", "5m", "--base-url", api.base + "/"}, env);
    REQUIRE(made.exit_code == 0);
    auto link = made.out.substr(0, made.out.find('\n'));
    REQUIRE(link.rfind(api.base + "/status/login?code=", 0) == 0);
    CHECK(link.find(read_token) == std::string::npos);
    auto target = link.substr(api.base.size());

    auto first = api.call("GET", target, "", {});
    CHECK(first.status == 303);
    CHECK(first.headers.get("Location").value_or("") == "/status");
    auto cookie = std::string(first.headers.get("Set-Cookie").value_or(""));
    CHECK(cookie.find("HttpOnly") != std::string::npos);
    http::Headers with_cookie;
    with_cookie.set("Cookie", cookie.substr(0, cookie.find(';')));
    auto page = api.call("GET", "/status", "", {}, with_cookie);
    CHECK(page.status == 200);
    CHECK(page.body.find("id=\"syncs\"") != std::string::npos);

    // Spent: the same link again, a made-up code, or none at all logs no one in.
    CHECK(api.call("GET", target, "", {}).status == 401);
    CHECK(api.call("GET", "/status/login?code=made-up", "", {}).status == 401);
    CHECK(api.call("GET", "/status/login", "", {}).status == 401);
    // Bad flags write nothing.
    CHECK(test::run_binary("oura-admin", {"status-link", "--ttl", "2h"}, env).exit_code == 2);
    CHECK(test::run_binary("oura-admin", {"status-link", "--base-url", "ftp://x"}, env).exit_code == 2);
    CHECK(db.scalar("SELECT count(*) FROM oura_secret.status_login_codes") == "1");
}

TEST_CASE("oura-admin users disable, disconnect and erase do what the admin routes do", "[e2e][query-api]") {
    test::TestDatabase db;
    auto user = seed_user(db, "u-admin-cli");
    seed_days(db, user, 2);
    std::map<std::string, std::string> env{{"OURA_DATABASE_URL", db.writer_url()}, {"OURA_LOG_LEVEL", "warn"}};
    auto id = std::to_string(user);
    CHECK(test::run_binary("oura-admin", {"users", "disable", "--help"}, env).exit_code == 0);
    auto bad = test::run_binary("oura-admin", {"users", "erase", "abc", "--yes"}, env);
    CHECK(bad.exit_code == 2);
    CHECK(bad.err.find("USER_ID") != std::string::npos);
    CHECK(test::run_binary("oura-admin", {"users", "erase", id}, env).exit_code == 2);  // no --yes: nothing written
    CHECK(db.scalar("SELECT count(*) FROM oura.daily_summaries WHERE user_id = " + id) == "2");
    CHECK(test::run_binary("oura-admin", {"users", "disable", id}, env).exit_code == 0);
    CHECK(db.scalar("SELECT status FROM oura.users WHERE user_id = " + id) == "paused");
    CHECK(test::run_binary("oura-admin", {"users", "disconnect", id}, env).exit_code == 0);
    CHECK(db.scalar("SELECT status FROM oura.users WHERE user_id = " + id) == "revoked");
    auto erased = test::run_binary("oura-admin", {"users", "erase", id, "--yes"}, env);
    CHECK(erased.exit_code == 0);
    CHECK(erased.out.find("oura.heart_rate_samples\t1000") != std::string::npos);
    CHECK(db.scalar("SELECT count(*) FROM oura.users WHERE user_id = " + id) == "0");
    CHECK(test::run_binary("oura-admin", {"users", "erase", id, "--yes"}, env).exit_code == 1);
}

TEST_CASE("the status page in headless Chromium: a phone-sized screenshot, the seeded sections, and a live update without a reload", "[e2e][query-api]") {
    if (core::run_process({"sh", "-c", "command -v chromium"}).exit_code != 0) FAIL("chromium is not installed (deploy/install-deps.sh installs it)");
    test::TestDatabase db;
    auto user = seed_user(db, "u-browser");
    db.scalar("INSERT INTO oura.sync_state (user_id, resource, status, last_success_at) VALUES (" + std::to_string(user) +
              ", 'daily_readiness', 'ok', now() - interval '10 minutes') RETURNING 1");
    db.scalar("INSERT INTO oura.jobs (kind, state, last_error) VALUES ('backfill_chunk', 'dead', 'gave up') RETURNING 1");
    db.scalar("INSERT INTO oura.table_stats (table_name, row_estimate, total_bytes) VALUES ('oura.heart_rate_samples', 123456, 1048576) RETURNING 1");
    QueryApi api(db, {{"OURA_QUERY_COOKIE_SECURE", "false"}});

    auto dir = std::filesystem::temp_directory_path() / ("query-api-chromium-" + std::to_string(api.port));
    std::filesystem::create_directories(dir);
    // The login form, submitted by the browser itself: the token travels in a POST body and comes
    // back as an HttpOnly cookie, never in a URL.
    auto login = dir / "login.html";
    std::ofstream(login) << "<!doctype html><form method=\"post\" action=\"" << api.base << "/status/login\">"
                         << "<input name=\"token\" value=\"" << read_token << "\"></form><script>document.forms[0].submit()</script>";
    auto chromium = [&](std::vector<std::string> extra) {
        std::vector<std::string> argv{"chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                                      "--no-first-run", "--user-data-dir=" + (dir / "profile").string(), "--window-size=412,915"};
        argv.insert(argv.end(), extra.begin(), extra.end());
        argv.push_back("file://" + login.string());
        return argv;
    };

    auto artifacts = std::filesystem::current_path() / "artifacts";
    std::filesystem::create_directories(artifacts);
    auto shot = artifacts / "status-page.png";
    std::filesystem::remove(shot);
    auto s = core::run_process(chromium({"--screenshot=" + shot.string(), "--timeout=6000"}), {}, 60s);
    INFO(s.err.substr(0, 2000));
    CHECK(std::filesystem::exists(shot));
    CHECK(std::filesystem::file_size(shot) > 10000);

    auto streams_opened = [&] {
        auto m = api.get("/metrics", "").body;
        auto at = m.find("oura_http_requests_total{route=\"/api/events/stream\",status=\"200\"} ");
        return at == std::string::npos ? 0 : std::stoi(m.substr(m.find("} ", at) + 2));
    };
    const int opened = streams_opened();
    // A browser that stays open; the test reads its DOM through the DevTools protocol.
    auto devtools = free_port();
    core::ChildProcess browser(chromium({"--remote-debugging-port=" + std::to_string(devtools)}), {}, (dir / "chromium.log").string());
    auto eval = [&](const std::string& js) {
        auto r = core::run_process({"python3", test::source_path("tests/e2e/cdp_eval.py"), std::to_string(devtools), js}, {}, 30s);
        return r.exit_code == 0 ? r.out : std::string();
    };
    test::wait_until("the page opened its event stream", [&] { return streams_opened() > opened; }, 60s);
    // A mark that a reload would wipe.
    CHECK(eval("window.__kept = 'still here'; document.title").find("Oura platform status") != std::string::npos);
    auto dom = eval("document.documentElement.outerHTML");
    for (const auto* section : {"id=\\\"syncs\\\"", "id=\\\"jobs\\\"", "id=\\\"backfills\\\"", "id=\\\"webhooks\\\"",
                                "id=\\\"tokens\\\"", "id=\\\"tables\\\""}) {
        INFO(section);
        CHECK(dom.find(section) != std::string::npos);
    }
    CHECK(dom.find("daily_readiness") != std::string::npos);
    CHECK(dom.find("freshness ok") != std::string::npos);
    CHECK(eval("document.getElementById('jobs-dead').textContent") == "\"1\"\n");
    CHECK(dom.find("oura.heart_rate_samples") != std::string::npos);
    CHECK(dom.find("123456") != std::string::npos);
    CHECK(dom.find(read_token) == std::string::npos);
    CHECK(eval("document.cookie") == "\"\"\n");  // HttpOnly: scripts never see the token

    insert_document(db, user, "doc-live-in-browser");
    test::wait_until("the page shows the new document without a reload", [&] {
        return eval("document.getElementById('last-change').textContent").find("doc-live-in-browser") != std::string::npos;
    });
    CHECK(eval("window.__kept") == "\"still here\"\n");
    CHECK(eval("document.getElementById('stream-state').textContent") == "\"live\"\n");
    std::filesystem::remove_all(dir);
}

TEST_CASE("query-api routes the Oura-facing admin operations: /oauth/start and the webhook subscriptions", "[e2e][query-api]") {
    test::TestDatabase db;
    test::Simulator sim;
    auto env = test::platform_env(sim, db.writer_url());
    env["OURA_OAUTH_REDIRECT_URI"] = "https://oura.example.com/oauth/callback";
    QueryApi api(db, env);
    // Connecting a person: an admin gets a redirect to Oura's consent page with a fresh state and PKCE.
    CHECK(api.get("/oauth/start").status == 403);
    auto start = api.get("/oauth/start", admin_token);
    REQUIRE(start.status == 302);
    auto location = std::string(start.headers.get("Location").value_or(""));
    CHECK(location.rfind(sim.url() + "/oauth/authorize?", 0) == 0);
    CHECK(location.find("code_challenge=") != std::string::npos);
    CHECK(location.find("state=") != std::string::npos);
    CHECK(db.scalar("SELECT count(*) FROM oura_secret.oauth_states") == "1");

    auto list = api.get("/admin/webhooks", admin_token);
    CHECK(list.status == 200);
    CHECK(json(list)["data"].IsArray());
    CHECK(json(api.call("POST", "/admin/webhooks/renew?days=0", admin_token))["parameter"].GetString() == std::string("days"));
    auto renew = api.call("POST", "/admin/webhooks/renew?days=30", admin_token);
    CHECK(renew.status == 200);
    CHECK(json(renew)["failed"].GetInt() == 0);
    // Without OURA_WEBHOOK_CALLBACK_URL there is nothing to ensure: said, not guessed.
    auto ensure = api.call("POST", "/admin/webhooks/ensure", admin_token);
    CHECK(ensure.status == 503);
    CHECK(ensure.body.find("OURA_WEBHOOK_CALLBACK_URL") != std::string::npos);
}
