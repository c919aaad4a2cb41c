// The /status page's single-use login codes: what a person opening the demo's link gets, once.
#include <catch2/catch.hpp>

#include "harness.hpp"
#include "oura/store/database.hpp"
#include "oura/store/login_codes.hpp"

using namespace oura;
using namespace std::chrono_literals;
using oura::test::TestDatabase;

TEST_CASE("a login code logs in once, and only its hash is stored", "[pg][login_codes]") {
    TestDatabase db;
    store::Pool pool(db.writer_url(), 2);
    auto code = store::create_login_code(pool, 600s);
    CHECK(code.size() >= 40);
    CHECK(db.scalar("SELECT count(*) FROM oura_secret.status_login_codes WHERE code_sha256 LIKE '%" + code + "%'") == "0");
    CHECK(store::redeem_login_code(pool, code));
    CHECK_FALSE(store::redeem_login_code(pool, code));
}

TEST_CASE("an expired, unknown, empty or oversized code logs no one in", "[pg][login_codes]") {
    TestDatabase db;
    store::Pool pool(db.writer_url(), 2);
    auto code = store::create_login_code(pool, 600s);
    db.scalar("WITH aged AS (UPDATE oura_secret.status_login_codes SET created_at = now() - interval '2 hours', "
              "expires_at = now() - interval '1 second' RETURNING 1) SELECT count(*) FROM aged");
    CHECK_FALSE(store::redeem_login_code(pool, code));
    CHECK_FALSE(store::redeem_login_code(pool, "not-a-code"));
    CHECK_FALSE(store::redeem_login_code(pool, ""));
    CHECK_FALSE(store::redeem_login_code(pool, std::string(4096, 'a')));
}

TEST_CASE("the reader role cannot see login codes", "[pg][login_codes]") {
    TestDatabase db;
    CHECK(db.scalar("SELECT has_table_privilege('oura_reader', 'oura_secret.status_login_codes', 'SELECT')") == "f");
    CHECK(db.scalar("SELECT has_table_privilege('oura_writer', 'oura_secret.status_login_codes', 'INSERT')") == "t");
}
