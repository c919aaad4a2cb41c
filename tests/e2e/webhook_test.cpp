// ingest-webhook as Oura and an operator see it: real process, real PostgreSQL, the simulator
// subscribing, delivering signed events and serving the documents they name.
#include <catch2/catch.hpp>

#include <signal.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "webhook_support.hpp"

using namespace oura;
using namespace oura::test;
using namespace oura::test::webhook;
using namespace std::chrono_literals;

namespace {

std::string first_doc_id(Simulator& sim, const std::string& user, const std::string& resource) {
    auto ids = ids_of(sim.truth(user, resource));
    REQUIRE(!ids.empty());
    return ids.back();
}

long long count(const TestDatabase& db, const std::string& sql) { return std::stoll(db.scalar(sql)); }

// The first column of the first row, "" when there is no row (yet) or it is NULL.
std::string value(const TestDatabase& db, const std::string& sql) {
    auto conn = db.connect();
    pqxx::nontransaction tx(conn);
    auto r = tx.exec(sql);
    return r.empty() || r[0][0].is_null() ? std::string() : r[0][0].as<std::string>();
}

http::Headers client_credentials() {
    http::Headers h;
    h.set("x-client-id", Simulator::client_id);
    h.set("x-client-secret", Simulator::client_secret);
    h.set("Content-Type", "application/json");
    return h;
}

}  // namespace

TEST_CASE("ingest-webhook: the simulator subscribes through the handshake and its deliveries keep the tables current",
          "[e2e][webhook]") {
    Simulator sim({"--users", "1", "--days", "3", "--webhook-retry-base-ms", "100"});
    TestDatabase db;
    auto env = platform_env(sim, db.writer_url());
    auto user = sim.user_id(0);
    register_user(sim, user, env);
    Edge edge(env);

    for (const char* type : {"update", "delete"}) {
        auto body = std::string(R"({"callback_url":")") + edge.url() + R"(/webhook/oura","verification_token":")" +
                    verification_token + R"(","event_type":")" + type + R"(","data_type":"daily_sleep"})";
        auto created = sim.post("/v2/webhook/subscription", body, client_credentials());
        REQUIRE(created.status == 201);  // the handshake went through the running service
    }

    auto id = first_doc_id(sim, user, "daily_sleep");
    auto revised = core::parse_json(sim.post("/_sim/documents/0/daily_sleep/" + id + "/revise").body);
    auto score = std::to_string(revised["score"].GetInt());
    wait_until("the revised daily_sleep score is in daily_summaries", [&] {
        return value(db, "SELECT sleep_score FROM oura.daily_summaries WHERE daily_sleep_id = '" + id + "'") == score;
    });
    CHECK(value(db, "SELECT payload->>'score' FROM oura.oura_documents WHERE document_id = '" + id + "'") == score);
    CHECK(count(db, "SELECT count(*) FROM oura.webhook_inbox WHERE outcome = 'applied'") == 1);

    REQUIRE(sim.post("/_sim/documents/0/daily_sleep/" + id + "/delete").status == 200);
    wait_until("the deleted document is tombstoned and its curated row gone", [&] {
        return value(db, "SELECT deleted_at IS NOT NULL FROM oura.oura_documents WHERE document_id = '" + id + "'") == "t" &&
               count(db, "SELECT count(*) FROM oura.daily_summaries WHERE daily_sleep_id = '" + id + "'") == 0;
    });
    auto metrics = client().get(edge.url() + "/metrics").body;
    CHECK(metrics.find("oura_webhook_deliveries_total{outcome=\"accepted\"} 2") != std::string::npos);
    CHECK(metrics.find("oura_webhook_processing_lag_seconds_count 2") != std::string::npos);
}

TEST_CASE("ingest-webhook: one job per delivery however often it comes, and refused deliveries change nothing",
          "[e2e][webhook]") {
    Simulator sim({"--users", "2", "--days", "2"});
    TestDatabase db;
    auto env = platform_env(sim, db.writer_url());
    env["OURA_WEBHOOK_PREVIOUS_SECRETS"] = "the-secret-before-rotation";
    auto user = sim.user_id(0);
    register_user(sim, user, env);
    Edge edge(env);
    auto id = first_doc_id(sim, user, "daily_readiness");
    auto body = event("update", "daily_readiness", id, "2024-03-30T08:00:00+00:00", user);

    CHECK(deliver(edge, body).status == 200);
    CHECK(deliver(edge, body).status == 200);  // Oura's retry of the same delivery
    CHECK(deliver(edge, body, signed_headers(body, Simulator::client_secret, now_unix(), false)).status == 200);
    CHECK(count(db, "SELECT count(*) FROM oura.webhook_inbox") == 1);
    CHECK(count(db, "SELECT count(*) FROM oura.jobs WHERE kind = 'webhook_event'") == 1);
    CHECK(value(db, "SELECT priority FROM oura.jobs WHERE kind = 'webhook_event'") == "10");

    auto rotated = event("update", "daily_readiness", id, "2024-03-30T09:00:00+00:00", user);
    CHECK(deliver(edge, rotated, signed_headers(rotated, "the-secret-before-rotation")).status == 200);

    auto other = event("create", "daily_readiness", "x-1", "2024-03-30T10:00:00+00:00", user);
    CHECK(deliver(edge, other, signed_headers(other, "a-wrong-secret")).status == 401);
    auto changed = signed_headers(other);
    CHECK(deliver(edge, other.substr(0, other.size() - 2) + "X\"}", changed).status == 401);  // one byte changed
    CHECK(deliver(edge, other, signed_headers(other, Simulator::client_secret, std::to_string(std::stoll(now_unix()) - 400))).status == 401);
    CHECK(deliver(edge, other, signed_headers(other, Simulator::client_secret, std::to_string(std::stoll(now_unix()) + 400))).status == 401);
    http::Headers bare;
    bare.set("Content-Type", "application/json");
    CHECK(deliver(edge, other, bare).status == 401);
    CHECK(deliver(edge, "not json").status == 400);
    CHECK(deliver(edge, "").status == 400);
    std::string huge = R"({"event_type":"create","data_type":"sleep","object_id":")" + std::string(70 * 1024, 'a') + "\"}";
    CHECK(deliver(edge, huge).status == 413);
    CHECK(count(db, "SELECT count(*) FROM oura.webhook_inbox") == 2);

    // A data type the platform cannot map yet, and a user who has not connected: kept, no job.
    CHECK(deliver(edge, event("create", "blood_glucose", "g-1", "2024-03-30T10:00:00Z", user)).status == 200);
    CHECK(deliver(edge, event("create", "sleep", "s-1", "2024-03-30T10:00:00Z", sim.user_id(1))).status == 200);
    CHECK(count(db, "SELECT count(*) FROM oura.webhook_inbox WHERE job_id IS NULL AND oura_user_id = '" + sim.user_id(1) + "'") == 1);

    // The subscription handshake.
    auto ok = client().get(edge.url() + "/webhook/oura?verification_token=" + verification_token + "&challenge=abc123");
    CHECK(ok.status == 200);
    CHECK(ok.body == R"({"challenge":"abc123"})");
    CHECK(client().get(edge.url() + "/webhook/oura?verification_token=wrong&challenge=abc123").status == 401);

    wait_until("every job of a connected user ran", [&] {
        return count(db, "SELECT count(*) FROM oura.jobs WHERE kind = 'webhook_event' AND state <> 'succeeded'") == 0;
    });
    CHECK(value(db, "SELECT outcome FROM oura.webhook_inbox WHERE data_type = 'blood_glucose'") == "unsupported");
    auto metrics = client().get(edge.url() + "/metrics").body;
    for (const char* series : {"outcome=\"duplicate\"} 2", "outcome=\"unauthorized\"} 5", "outcome=\"malformed\"} 2",
                               "outcome=\"too_large\"} 1", "outcome=\"unknown_user\"} 1"})
        CHECK(metrics.find(std::string("oura_webhook_deliveries_total{") + series) != std::string::npos);
    // SIGTERM: stops accepting, drains, exits 0.
    CHECK(edge.process().stop(SIGTERM, 20s) == 0);
}

TEST_CASE("ingest-webhook: a late update never resurrects a deleted document", "[e2e][webhook]") {
    Simulator sim({"--users", "1", "--days", "2"});
    TestDatabase db;
    auto env = platform_env(sim, db.writer_url());
    auto user = sim.user_id(0);
    register_user(sim, user, env);
    Edge edge(env);
    // A document Oura answers 404 for is retried a few times, then treated as deleted, saying why.
    REQUIRE(deliver(edge, event("create", "daily_activity", "no-such-document", "2024-03-30T07:00:00+00:00", user)).status == 200);
    // The simulator still has the document: a fetch would bring it back; only the order stops it.
    auto id = first_doc_id(sim, user, "daily_activity");
    REQUIRE(deliver(edge, event("create", "daily_activity", id, "2024-03-30T08:00:00+00:00", user)).status == 200);
    wait_until("the created document is stored", [&] {
        return value(db, "SELECT deleted_at IS NULL FROM oura.oura_documents WHERE document_id = '" + id + "'") == "t";
    });
    REQUIRE(deliver(edge, event("delete", "daily_activity", id, "2024-03-30T10:00:00+00:00", user)).status == 200);
    REQUIRE(deliver(edge, event("update", "daily_activity", id, "2024-03-30T09:00:00+00:00", user)).status == 200);
    wait_until("both late events were handled", [&] {
        return count(db, "SELECT count(*) FROM oura.webhook_inbox WHERE processed_at IS NULL") == 0;
    });
    CHECK(value(db, "SELECT deleted_at IS NOT NULL FROM oura.oura_documents WHERE document_id = '" + id + "'") == "t");
    CHECK(count(db, "SELECT count(*) FROM oura.daily_summaries WHERE daily_activity_id = '" + id + "'") == 0);
    CHECK(value(db, "SELECT outcome FROM oura.webhook_inbox WHERE event_type = 'update'") == "superseded");

    wait_until("the delivery of a document Oura does not have ends after its retries", [&] {
        return value(db, "SELECT outcome FROM oura.webhook_inbox WHERE object_id = 'no-such-document'") == "not_found";
    });
    CHECK(value(db, "SELECT note FROM oura.webhook_inbox WHERE object_id = 'no-such-document'") ==
          "Oura answered 404 on 3 attempts: treated as deleted");
    // A newer update (the document came back) is applied.
    REQUIRE(deliver(edge, event("update", "daily_activity", id, "2024-03-30T11:00:00+00:00", user)).status == 200);
    wait_until("the newer update brought the document back", [&] {
        return value(db, "SELECT deleted_at IS NULL FROM oura.oura_documents WHERE document_id = '" + id + "'") == "t";
    });
}

TEST_CASE("ingest-webhook: the OAuth round trip connects a user, refuses replayed and expired states and denial",
          "[e2e][webhook][oauth]") {
    Simulator sim({"--users", "2", "--days", "2"});
    TestDatabase db;
    auto env = platform_env(sim, db.writer_url());
    Edge edge(env);
    auto user = sim.user_id(1);
    // A delivery for this user before they connect is kept and applied once they do.
    auto doc = first_doc_id(sim, user, "daily_sleep");
    REQUIRE(deliver(edge, event("create", "daily_sleep", doc, "2024-03-30T08:00:00Z", user)).status == 200);

    CHECK(client().get(edge.url() + "/oauth/start").status == 401);
    http::Headers admin;
    admin.set("Authorization", std::string("Bearer ") + admin_token);
    auto start = [&] {
        auto r = client().request("GET", edge.url() + "/oauth/start?login_hint=1", admin);
        REQUIRE(r.status == 302);
        auto authorize = std::string(*r.headers.get("Location"));
        REQUIRE(authorize.rfind(sim.url() + "/oauth/authorize?", 0) == 0);
        CHECK(authorize.find("code_challenge_method=S256") != std::string::npos);
        auto approved = client().get(authorize);
        REQUIRE(approved.status == 302);
        return std::string(*approved.headers.get("Location"));
    };

    auto callback = start();
    REQUIRE(callback.rfind(edge.url() + "/oauth/callback?", 0) == 0);
    auto page = client().get(callback);
    CHECK(page.status == 200);
    CHECK(page.body.find("Connected") != std::string::npos);
    auto user_id = value(db, "SELECT user_id FROM oura.users WHERE oura_user_id = '" + user + "'");
    REQUIRE(!user_id.empty());
    CHECK(count(db, "SELECT count(*) FROM oura_secret.oauth_tokens WHERE user_id = " + user_id) == 1);
    auto access = value(db, "SELECT encode(access_token, 'escape') FROM oura_secret.oauth_tokens");
    CHECK(access.find("eyJ") == std::string::npos);  // sealed, not a bearer token in the clear
    CHECK(count(db, "SELECT count(*) FROM oura.backfills WHERE " + user_id + " = ANY (user_ids)") >= 1);
    wait_until("the delivery kept for the unknown user is applied", [&] {
        return value(db, "SELECT outcome FROM oura.webhook_inbox WHERE object_id = '" + doc + "'") == "applied";
    });

    // The grant dies: a delivery's job waits parked until the user connects again, then applies.
    value(db, "UPDATE oura_secret.oauth_tokens SET invalid_at = now() RETURNING 1");
    auto later = first_doc_id(sim, user, "daily_readiness");
    REQUIRE(deliver(edge, event("create", "daily_readiness", later, "2024-03-30T09:00:00Z", user)).status == 200);
    wait_until("the job of a user without a usable grant is parked", [&] {
        return count(db, "SELECT count(*) FROM oura.jobs WHERE kind = 'webhook_event' AND state = 'waiting_token'") == 1;
    });
    auto reconnect = client().get(start());
    CHECK(reconnect.status == 200);
    wait_until("the parked delivery is applied after the user connected again", [&] {
        return value(db, "SELECT outcome FROM oura.webhook_inbox WHERE object_id = '" + later + "'") == "applied";
    });

    auto replay = client().get(callback);
    CHECK(replay.status == 400);
    CHECK(replay.body.find("already used") != std::string::npos);

    auto second = start();
    value(db, "UPDATE oura_secret.oauth_states SET created_at = now() - interval '20 minutes', "
              "expires_at = now() - interval '5 minutes' WHERE used_at IS NULL RETURNING 1");
    auto expired = client().get(second);
    CHECK(expired.status == 400);
    CHECK(expired.body.find("expired") != std::string::npos);

    REQUIRE(sim.post("/_sim/oauth/deny").status == 200);
    auto denied = client().get(start());
    CHECK(denied.body.find("Not connected") != std::string::npos);
    CHECK(count(db, "SELECT count(*) FROM oura.users") == 1);
    auto metrics = client().get(edge.url() + "/metrics").body;
    CHECK(metrics.find("oura_oauth_callbacks_total{outcome=\"connected\"} 2") != std::string::npos);
    CHECK(metrics.find("oura_oauth_callbacks_total{outcome=\"invalid_state\"} 2") != std::string::npos);
    CHECK(metrics.find("oura_oauth_callbacks_total{outcome=\"denied\"} 1") != std::string::npos);
}

namespace {

// Sends delete events (cheap to apply: no fetch) from `threads` keep-alive senders until `stop`;
// records which object ids were acknowledged with a 2xx and counts the other answers.
struct Load {
    std::mutex mutex;
    std::set<std::string> acknowledged;
    std::atomic<long long> ok{0}, unavailable{0}, other{0}, failed{0};
    std::atomic<bool> stop{false};
    std::vector<std::thread> threads;

    void run(const Edge& edge, const std::string& user, int count) {
        for (int t = 0; t < count; ++t)
            threads.emplace_back([this, &edge, user, t] {
                http::ClientOptions o;
                o.connect_timeout = 2s;
                o.read_timeout = 15s;
                http::Client c(o);
                for (long long i = 0; !stop; ++i) {
                    auto id = "load-" + std::to_string(t) + "-" + std::to_string(i);
                    auto body = event("delete", "sleep", id, "2024-03-30T08:00:00Z", user);
                    try {
                        auto r = c.request("POST", edge.url() + "/webhook/oura", signed_headers(body), body);
                        if (r.status == 200) {
                            std::lock_guard lock(mutex);
                            acknowledged.insert(id);
                            ++ok;
                        } else if (r.status == 503) {
                            ++unavailable;
                        } else {
                            ++other;
                        }
                    } catch (const std::exception&) {
                        ++failed;
                        std::this_thread::sleep_for(5ms);
                    }
                }
            });
    }
    void join() {
        stop = true;
        for (auto& t : threads) t.join();
    }
    std::set<std::string> snapshot() {
        std::lock_guard lock(mutex);
        return acknowledged;
    }
};

std::set<std::string> inbox_ids(const TestDatabase& db) {
    std::set<std::string> out;
    auto conn = db.connect();
    pqxx::nontransaction tx(conn);
    for (const auto& row : tx.exec("SELECT object_id FROM oura.webhook_inbox")) out.insert(row[0].as<std::string>());
    return out;
}

}  // namespace

TEST_CASE("ingest-webhook: kill -9 under sustained deliveries loses nothing acknowledged", "[fault][webhook]") {
    Simulator sim({"--users", "1", "--days", "1"});
    TestDatabase db;
    auto env = platform_env(sim, db.writer_url());
    auto user = sim.user_id(0);
    register_user(sim, user, env);
    env["OURA_WEBHOOK_JOB_LEASE"] = "2s";  // the jobs the killed process held are claimed again soon
    Edge edge(env);
    Load load;
    load.run(edge, user, 16);
    wait_until("deliveries are flowing", [&] { return load.ok.load() >= 300; });
    edge.kill9();
    auto acknowledged_before = load.ok.load();
    wait_until("senders see the service gone", [&] { return load.failed.load() >= 16; });
    load.join();
    INFO("acknowledged " << load.ok.load() << " (" << acknowledged_before << " before the kill)");
    auto acked = load.snapshot();
    auto stored = inbox_ids(db);
    std::vector<std::string> lost;
    for (const auto& id : acked)
        if (!stored.count(id)) lost.push_back(id);
    CHECK(lost.empty());
    CHECK(acked.size() >= 300);

    edge.start();
    wait_until("every stored delivery is applied after the restart", [&] {
        return count(db, "SELECT count(*) FROM oura.webhook_inbox WHERE processed_at IS NULL") == 0;
    }, 60s);
    CHECK(count(db, "SELECT count(*) FROM oura.jobs WHERE kind = 'webhook_event' AND state <> 'succeeded'") == 0);
}

TEST_CASE("ingest-webhook: the database going away mid-load answers 503, never a 2xx without a row, and recovers",
          "[fault][webhook]") {
    Simulator sim({"--users", "1", "--days", "1"});
    TestDatabase db;
    auto env = platform_env(sim, db.writer_url());
    auto user = sim.user_id(0);
    register_user(sim, user, env);
    env["OURA_WEBHOOK_WORKERS"] = "1";
    // A claim or completion whose commit the outage cut is in doubt: its job waits out the lease.
    env["OURA_WEBHOOK_JOB_LEASE"] = "2s";
    Edge edge(env);
    Load load;
    load.run(edge, user, 8);
    wait_until("deliveries are flowing", [&] { return load.ok.load() >= 100; });

    // The database refuses the service: new connections fail, existing ones are cut.
    db.refuse_connections();
    wait_until("deliveries are refused with 503", [&] { return load.unavailable.load() >= 20; });
    auto ok_during = load.ok.load();
    db.allow_connections();
    wait_until("deliveries are acknowledged again", [&] { return load.ok.load() >= ok_during + 100; });
    load.join();

    auto acked = load.snapshot();
    auto stored = inbox_ids(db);
    std::vector<std::string> lost;
    for (const auto& id : acked)
        if (!stored.count(id)) lost.push_back(id);
    CHECK(lost.empty());
    CHECK(load.other.load() == 0);
    wait_until("the consumer caught up after the outage", [&] {
        return count(db, "SELECT count(*) FROM oura.webhook_inbox WHERE processed_at IS NULL") == 0;
    }, 60s);
}

TEST_CASE("ingest-webhook: the poller ensures the subscriptions through the handshake and oura-admin renews and deletes them",
          "[e2e][webhook][subscriptions]") {
    // The simulator's calendar ends in 2024, so every subscription it makes expires (90 days on)
    // long before our wall clock's today: each is due for renewal.
    Simulator sim({"--users", "1", "--days", "2", "--end-date", "2024-03-31"});
    TestDatabase db;
    auto env = platform_env(sim, db.writer_url());
    Edge edge(env);
    env["OURA_WEBHOOK_CALLBACK_URL"] = edge.url() + "/webhook/oura";
    env["OURA_WEBHOOK_VERIFICATION_TOKEN"] = verification_token;
    env["OURA_WEBHOOK_EVENT_TYPES"] = "update,delete";
    env["OURA_WEBHOOK_DATA_TYPES"] = "daily_sleep,vo2_max";

    auto poll = run_binary("poller", {"--resources", "personal_info"}, env);
    INFO(poll.err);
    REQUIRE(poll.exit_code == 0);
    CHECK(count(db, "SELECT count(*) FROM oura.webhook_subscriptions") == 4);
    CHECK(count(db, "SELECT count(*) FROM oura.webhook_subscriptions WHERE data_type = 'vo2_max' AND callback_url = '" +
                        edge.url() + "/webhook/oura'") == 2);
    CHECK(core::parse_json(sim.get("/_sim/webhooks").body).Size() == 4);

    auto again = run_binary("oura-admin", {"webhooks", "ensure"}, env);
    CHECK(again.exit_code == 0);
    CHECK(again.out.find("created 0,") != std::string::npos);

    auto renewed = run_binary("oura-admin", {"webhooks", "renew"}, env);
    INFO(renewed.err);
    CHECK(renewed.exit_code == 0);
    CHECK(renewed.out.find("renewed 4,") != std::string::npos);
    CHECK(count(db, "SELECT count(*) FROM oura.webhook_subscriptions WHERE renewed_at IS NOT NULL") == 4);

    auto listed = run_binary("oura-admin", {"webhooks", "list"}, env);
    REQUIRE(listed.exit_code == 0);
    auto id = listed.out.substr(0, listed.out.find(' '));
    CHECK(run_binary("oura-admin", {"webhooks", "delete", id}, env).exit_code == 0);
    CHECK(count(db, "SELECT count(*) FROM oura.webhook_subscriptions") == 3);
    CHECK(core::parse_json(sim.get("/_sim/webhooks").body).Size() == 3);
    auto unknown = run_binary("oura-admin", {"webhooks", "delete", id}, env);
    CHECK(unknown.exit_code == 1);
    auto bad = run_binary("oura-admin", {"webhooks", "frobnicate"}, env);
    CHECK(bad.exit_code == 2);
}
