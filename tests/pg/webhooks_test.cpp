// The webhook edge's store functions against the real PostgreSQL: the group-commit insert, the
// per-document event order and retention.
#include <catch2/catch.hpp>

#include "harness.hpp"
#include "oura/store/database.hpp"
#include "oura/store/jobs.hpp"
#include "oura/store/users.hpp"
#include "oura/store/webhooks.hpp"

using namespace oura;

namespace {

store::InboxDelivery delivery(const std::string& object_id, const std::string& user, const std::string& event_time,
                              const std::string& event_type = "update") {
    std::string body = R"({"event_type":")" + event_type + R"(","data_type":"sleep","object_id":")" + object_id +
                       R"(","event_time":")" + event_time + R"(","user_id":")" + user + R"("})";
    return {event_type, "sleep", object_id, event_time, user, body};
}

void run(const test::TestDatabase& db, const std::string& sql) {
    auto conn = db.connect();
    pqxx::nontransaction tx(conn);
    tx.exec(sql);
}

}  // namespace

TEST_CASE("one group commit: new deliveries get a job, repeats inside and across batches do not, unknown users wait",
          "[pg][webhook]") {
    test::TestDatabase db;
    store::Pool pool(db.writer_url(), 1);
    auto user = pool.transact([](store::Transaction& tx) { return store::upsert_user(tx, "oura-a", ""); });
    auto first = store::commit_deliveries(pool, {delivery("d1", "oura-a", "2025-01-01T00:00:00Z"),
                                                 delivery("d1", "oura-a", "2025-01-01T00:00:00+00:00"),
                                                 delivery("d2", "oura-b", "2025-01-01T00:00:00Z")});
    CHECK(first == std::vector<store::InboxOutcome>{store::InboxOutcome::accepted, store::InboxOutcome::duplicate,
                                                    store::InboxOutcome::unknown_user});
    auto second = store::commit_deliveries(pool, {delivery("d1", "oura-a", "2025-01-01T01:00:00+01:00")});
    CHECK(second == std::vector<store::InboxOutcome>{store::InboxOutcome::duplicate});
    CHECK(db.scalar("SELECT count(*) FROM oura.jobs WHERE kind = 'webhook_event' AND priority = 10") == "1");
    CHECK(db.scalar("SELECT count(*) FROM oura.webhook_inbox WHERE job_id IS NOT NULL") == "1");

    // The unknown user connects: the delivery kept for them is queued.
    auto b = pool.transact([](store::Transaction& tx) { return store::upsert_user(tx, "oura-b", ""); });
    CHECK(pool.transact([&](store::Transaction& tx) { return store::enqueue_waiting_deliveries(tx, b.user_id, "oura-b"); }) == 1);
    CHECK(db.scalar("SELECT count(*) FROM oura.webhook_inbox WHERE job_id IS NULL") == "0");
    (void)user;
}

TEST_CASE("a delivery the database cannot store is refused alone, naming no secret", "[pg][webhook]") {
    test::TestDatabase db;
    store::Pool pool(db.writer_url(), 1);
    auto bad = delivery("d1", "oura-a", "2025-01-01T00:00:00Z");
    bad.body = R"({"text":"\u0000"})";  // valid JSON, but jsonb refuses NUL
    CHECK_THROWS_AS(store::commit_deliveries(pool, {bad}), store::delivery_rejected);
    CHECK(db.scalar("SELECT count(*) FROM oura.webhook_inbox") == "0");
}

TEST_CASE("events of one document apply newest first: an older one is superseded, a delete wins a tie", "[pg][webhook]") {
    test::TestDatabase db;
    store::Pool pool(db.writer_url(), 1);
    store::commit_deliveries(pool, {delivery("d1", "u", "2025-01-01T10:00:00Z", "delete"),
                                    delivery("d1", "u", "2025-01-01T09:00:00Z", "update"),
                                    delivery("d1", "u", "2025-01-01T10:00:00Z", "update"),
                                    delivery("d1", "u", "2025-01-01T11:00:00Z", "update")});
    auto claim = [&](const std::string& type, const std::string& hour) {
        return pool.transact([&](store::Transaction& tx) {
            auto id = std::stoll(db.scalar("SELECT id FROM oura.webhook_inbox WHERE event_type = '" + type +
                                           "' AND event_time = '2025-01-01T" + hour + ":00:00Z'"));
            auto e = store::load_inbox_event(tx, id);
            return store::claim_document_order(tx, *e);
        });
    };
    CHECK(claim("delete", "10"));
    CHECK_FALSE(claim("update", "09"));
    CHECK_FALSE(claim("update", "10"));
    CHECK(claim("update", "11"));
}

TEST_CASE("retention prunes processed deliveries and finished jobs in batches, keeps dead ones longer", "[pg][webhook]") {
    test::TestDatabase db;
    store::Pool pool(db.writer_url(), 1);
    pool.transact([](store::Transaction& tx) { store::upsert_user(tx, "u", ""); });
    store::commit_deliveries(pool, {delivery("old", "u", "2025-01-01T00:00:00Z"), delivery("new", "u", "2025-01-02T00:00:00Z"),
                                    delivery("pending", "u", "2025-01-03T00:00:00Z")});
    run(db, "UPDATE oura.webhook_inbox SET received_at = now() - interval '40 days', processed_at = now() - interval '40 days' "
              "WHERE object_id IN ('old', 'pending')");
    run(db, "UPDATE oura.webhook_inbox SET processed_at = NULL WHERE object_id = 'pending'");
    run(db, "UPDATE oura.jobs SET state = 'succeeded', finished_at = now() - interval '40 days' WHERE id = (SELECT min(id) FROM oura.jobs)");
    run(db, "UPDATE oura.jobs SET state = 'dead', finished_at = now() - interval '40 days' WHERE id = (SELECT max(id) FROM oura.jobs)");
    run(db, "UPDATE oura.webhook_inbox SET job_id = NULL");
    auto age = std::chrono::hours(24 * 30);
    CHECK(pool.transact([&](store::Transaction& tx) { return store::prune_inbox(tx, age, 1000); }) == 1);
    CHECK(db.scalar("SELECT string_agg(object_id, ',' ORDER BY object_id) FROM oura.webhook_inbox") == "new,pending");
    CHECK(pool.transact([&](store::Transaction& tx) {
              return store::prune_jobs_keeping_dead(tx, age, std::chrono::hours(24 * 90), 1000);
          }) == 1);
    CHECK(db.scalar("SELECT string_agg(state, ',' ORDER BY state) FROM oura.jobs") == "dead,pending");
}
