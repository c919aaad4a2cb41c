// What the poller reads and writes about its own runs and its users' clocks, against PostgreSQL.
#include <catch2/catch.hpp>

#include "harness.hpp"
#include "oura/store/sync_records.hpp"
#include "oura/store/users.hpp"

using namespace oura;
using oura::test::TestDatabase;

namespace {

long long new_user(pqxx::connection& c, const std::string& oura_id) {
    pqxx::work tx(c);
    auto u = store::upsert_user(tx, oura_id, "");
    tx.commit();
    return u.user_id;
}

void add_document(pqxx::connection& c, long long user, const std::string& resource, const std::string& id,
                  const std::string& day, const std::string& payload, bool deleted = false) {
    pqxx::work tx(c);
    tx.exec_params("INSERT INTO oura.oura_documents (user_id, resource, document_id, day, payload, payload_sha256, deleted_at)"
                   " VALUES ($1, $2, $3, $4::date, $5::text::jsonb, sha256(convert_to($5::text, 'UTF8')), CASE WHEN $6 THEN now() END)",
                   user, resource, id, day, payload, deleted);
    tx.commit();
}

// Runs one store call in its own committed transaction.
template <typename F>
auto committed(pqxx::connection& c, F&& call) {
    pqxx::work tx(c);
    auto result = call(tx);
    tx.commit();
    return result;
}

std::optional<int> offset_of(pqxx::connection& c, long long user) {
    return committed(c, [&](pqxx::work& tx) { return store::latest_utc_offset(tx, user); });
}

}  // namespace

TEST_CASE("a user's UTC offset is the one written in their newest live document that carries one", "[pg][store]") {
    TestDatabase db;
    auto c = db.connect();
    auto user = new_user(c, "traveller");
    CHECK_FALSE(offset_of(c, user).has_value());

    add_document(c, user, "daily_readiness", "r1", "2026-01-10", R"({"timestamp":"2026-01-10T00:00:00+02:00"})");
    CHECK(offset_of(c, user) == 120);
    // Newer: a sleep at UTC-10, then tags (no offset) and heart-rate-like UTC rows say nothing.
    add_document(c, user, "sleep", "s1", "2026-01-12", R"({"bedtime_end":"2026-01-12T07:00:00-10:00"})");
    add_document(c, user, "tag", "t1", "2026-01-14", R"({"timestamp":"2026-01-14T08:00:00"})");
    add_document(c, user, "ring_configuration", "c1", "2026-01-15", R"({"timestamp":"2026-01-15T08:00:00+00:00"})");
    CHECK(offset_of(c, user) == -600);
    // A deleted document no longer counts; the half-hour zones keep their minutes.
    add_document(c, user, "daily_sleep", "d1", "2026-01-13", R"({"timestamp":"2026-01-13T00:00:00+13:00"})", true);
    add_document(c, user, "daily_activity", "a1", "2026-01-13", R"({"timestamp":"2026-01-13T04:00:00+05:30"})");
    CHECK(offset_of(c, user) == 330);
    CHECK_FALSE(offset_of(c, new_user(c, "someone else")).has_value());
}

TEST_CASE("abandoning runs touches only the running rows of that kind", "[pg][store]") {
    TestDatabase db;
    auto c = db.connect();
    auto start = [&](const std::string& kind) { return committed(c, [&](pqxx::work& tx) { return store::start_run(tx, kind); }); };
    auto abandon = [&] { return committed(c, [&](pqxx::work& tx) { return store::abandon_running_runs(tx, "poller"); }); };
    auto dead = start("poller");
    auto done = start("poller");
    committed(c, [&](pqxx::work& tx) {
        store::finish_run(tx, done, "succeeded", "{}", "");
        return 0;
    });
    auto other = start("backfill");
    CHECK(abandon() == 1);
    CHECK(db.scalar("SELECT status || ' ' || (finished_at IS NOT NULL) || ' ' || (error <> '') FROM oura.sync_runs WHERE id = " +
                    std::to_string(dead)) == "abandoned true true");
    CHECK(db.scalar("SELECT status FROM oura.sync_runs WHERE id = " + std::to_string(done)) == "succeeded");
    CHECK(db.scalar("SELECT status FROM oura.sync_runs WHERE id = " + std::to_string(other)) == "running");
    CHECK(abandon() == 0);
}
