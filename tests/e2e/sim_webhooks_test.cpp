// oura-sim's webhooks as a receiver and an app see them: the subscription API, the verification
// handshake, signed deliveries on changes, retries and cancellation by 410.

#include <atomic>
#include <cstdlib>
#include <set>

#include "oura/core/crypto.hpp"
#include "oura/core/time.hpp"
#include "sim_support.hpp"

using namespace oura;
using namespace oura::test::sim;

namespace {

std::string subscription_body(const std::string& callback, const std::string& event_type, const std::string& data_type,
                              const std::string& token = "verify-me") {
    return R"({"callback_url":")" + callback + R"(","verification_token":")" + token + R"(","event_type":")" +
           event_type + R"(","data_type":")" + data_type + R"("})";
}

std::string str(const rapidjson::Value& v, const char* key) {
    return v.HasMember(key) && v[key].IsString() ? v[key].GetString() : "";
}

http::ClientResponse subscribe(Sim& sim, const std::string& callback, const std::string& event_type,
                               const std::string& data_type) {
    return sim.post("/v2/webhook/subscription", subscription_body(callback, event_type, data_type),
                    client_credentials());
}

// Whether the request carries Oura's signature over its raw body, recomputed here.
bool signed_correctly(const http::Request& r, const std::string& secret) {
    auto ts = r.headers.get("x-oura-timestamp");
    auto sig = r.headers.get("x-oura-signature");
    if (!ts || !sig) return false;
    std::string expected = core::hmac_sha256_hex(secret, std::string(*ts) + r.body);
    for (auto& c : expected) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return *sig == expected;
}

void flush(Sim& sim) {
    REQUIRE(sim.post("/_sim/webhooks/flush", R"({"timeout_ms":15000})").status == 200);
}

}  // namespace

TEST_CASE("oura-sim: the subscription API creates after a handshake, lists, updates, renews and deletes", "[sim]") {
    Sim sim({"--users", "1", "--days", "2", "--end-date", "2024-03-31"});
    Receiver receiver;
    auto created = subscribe(sim, receiver.url(), "update", "daily_sleep");
    REQUIRE(created.status == 201);
    auto sub = json(created.body);
    std::string id = str(sub, "id");
    CHECK(id.size() == 36);
    CHECK(str(sub, "callback_url") == receiver.url());
    CHECK(str(sub, "event_type") == "update");
    CHECK(str(sub, "data_type") == "daily_sleep");
    CHECK(str(sub, "expiration_time").rfind("2024-06-29T", 0) == 0);  // the simulator's today + 90 days
    auto handshakes = receiver.wait_for(1, "GET");
    REQUIRE(handshakes.size() == 1);
    CHECK(handshakes[0].query("verification_token") == std::optional<std::string>("verify-me"));
    CHECK(handshakes[0].query("challenge").value_or("").size() > 8);

    CHECK(subscribe(sim, receiver.url(), "update", "daily_sleep").status == 409);
    auto list = json(sim.request("GET", "/v2/webhook/subscription", "", client_credentials()).body);
    REQUIRE(list.Size() == 1);
    CHECK(str(list[0], "id") == id);
    CHECK(sim.request("GET", "/v2/webhook/subscription/" + id, "", client_credentials()).status == 200);

    auto missing =
        sim.request("GET", "/v2/webhook/subscription/00000000-0000-4000-8000-000000000000", "", client_credentials());
    CHECK(missing.status == 403);
    CHECK(missing.body == R"({"detail":"Forbidden"})");
    CHECK(sim.request("GET", "/v2/webhook/subscription").status == 401);
    CHECK(sim.request("GET", "/v2/webhook/subscription", "", client_credentials("oura-sim-client", "wrong")).status ==
          403);

    auto bad_enum = subscribe(sim, receiver.url(), "upsert", "heartrate");
    CHECK(bad_enum.status == 422);
    auto errors = json(bad_enum.body);
    REQUIRE(errors["detail"].IsArray());
    CHECK(errors["detail"].Size() == 2);
    CHECK(str(errors["detail"][0], "type") == "enum");

    auto updated = sim.request("PUT", "/v2/webhook/subscription/" + id,
                               R"({"verification_token":"verify-me","event_type":"delete"})", client_credentials());
    REQUIRE(updated.status == 200);
    CHECK(str(json(updated.body), "event_type") == "delete");
    CHECK(receiver.count("GET") == 2);  // an update repeats the handshake

    CHECK(sim.post("/_sim/advance", R"({"days":10})").status == 200);
    auto renewed = sim.request("PUT", "/v2/webhook/subscription/renew/" + id, "", client_credentials());
    REQUIRE(renewed.status == 200);
    CHECK(str(json(renewed.body), "expiration_time").rfind("2024-07-09T", 0) == 0);
    CHECK(sim.request("PUT", "/v2/webhook/subscription/renew/nope", "", client_credentials()).status == 404);

    CHECK(sim.request("DELETE", "/v2/webhook/subscription/" + id, "", client_credentials()).status == 204);
    auto again = sim.request("DELETE", "/v2/webhook/subscription/" + id, "", client_credentials());
    CHECK(again.status == 404);
    CHECK(str(json(again.body), "detail") == "No webhook id " + id + " found.");
}

TEST_CASE("oura-sim: a callback that fails the handshake gets no subscription", "[sim]") {
    Sim sim({"--users", "1", "--days", "2", "--end-date", "2024-03-31"});
    Receiver wrong_challenge(
        [](const http::Request&, int) { return http::json_response(200, R"({"challenge":"nope"})"); });
    Receiver refusing([](const http::Request&, int) { return http::json_response(401, R"({"detail":"bad token"})"); });
    for (auto* r : {&wrong_challenge, &refusing}) {
        auto created = subscribe(sim, r->url(), "create", "sleep");
        CHECK(created.status == 400);
        CHECK(str(json(created.body), "detail").find("handshake") != std::string::npos);
    }
    auto nobody = subscribe(sim, "http://127.0.0.1:9/nobody-listens", "create", "sleep");
    CHECK(nobody.status == 400);
    CHECK(json(sim.request("GET", "/v2/webhook/subscription", "", client_credentials()).body).Size() == 0);
}

TEST_CASE("oura-sim: revise and delete deliver signed events to matching subscriptions", "[sim]") {
    Sim sim({"--users", "1", "--days", "5", "--end-date", "2024-03-31", "--client-secret", "s3cret"});
    Receiver receiver;
    http::Headers creds = client_credentials("oura-sim-client", "s3cret");
    for (const auto& [event, type] : std::vector<std::pair<std::string, std::string>>{
             {"update", "daily_sleep"}, {"delete", "daily_sleep"}, {"update", "vo2_max"}, {"update", "workout"}})
        REQUIRE(sim.post("/v2/webhook/subscription", subscription_body(receiver.url(), event, type), creds).status ==
                201);

    auto sleep_id = str(json(sim.truth_body(0, "daily_sleep"))["data"][0], "id");
    auto vo2_id = str(json(sim.truth_body(0, "vO2_max"))["data"][0], "id");
    REQUIRE(sim.post("/_sim/documents/0/daily_sleep/" + sleep_id + "/revise").status == 200);
    REQUIRE(sim.post("/_sim/documents/0/vO2_max/" + vo2_id + "/revise").status == 200);
    REQUIRE(sim.post("/_sim/documents/0/daily_sleep/" + sleep_id + "/delete").status == 200);
    flush(sim);
    auto got = receiver.wait_for(3);
    REQUIRE(got.size() == 3);
    std::multiset<std::string> seen;
    auto now =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    for (const auto& r : got) {
        CHECK(signed_correctly(r, "s3cret"));
        CHECK_FALSE(signed_correctly(r, "oura-sim-secret"));
        CHECK(std::abs(std::stoll(std::string(*r.headers.get("x-oura-timestamp"))) - now) < 60);
        auto e = json(r.body);
        CHECK(str(e, "user_id") == sim.user_id(0));
        CHECK(r.body.rfind("{\"event_type\":", 0) == 0);
        CHECK(str(e, "event_time").rfind("2024-03-31T", 0) == 0);
        seen.insert(str(e, "event_type") + " " + str(e, "data_type") + " " + str(e, "object_id"));
    }
    CHECK(seen == std::multiset<std::string>{"update daily_sleep " + sleep_id, "delete daily_sleep " + sleep_id,
                                             "update vo2_max " + vo2_id});
}

TEST_CASE("oura-sim: a delivery the receiver fails twice is retried until it succeeds", "[sim]") {
    Sim sim({"--users", "1", "--days", "3", "--end-date", "2024-03-31", "--webhook-retry-base-ms", "50"});
    std::atomic<int> posts{0};
    Receiver flaky([&](const http::Request& r, int) {
        if (r.method == "GET")
            return http::json_response(200, "{\"challenge\":\"" + r.query("challenge").value_or("") + "\"}");
        return ++posts <= 2 ? http::json_response(500, "{}") : http::json_response(200, "{}");
    });
    REQUIRE(subscribe(sim, flaky.url(), "update", "daily_readiness").status == 201);
    auto id = str(json(sim.truth_body(0, "daily_readiness"))["data"][0], "id");
    REQUIRE(sim.post("/_sim/documents/0/daily_readiness/" + id + "/revise").status == 200);
    flush(sim);
    auto got = flaky.wait_for(3);
    REQUIRE(got.size() == 3);
    CHECK(got[0].body == got[2].body);
    auto log = json(sim.get("/_sim/deliveries").body);
    REQUIRE(log.Size() == 3);
    CHECK(log[0]["attempt"].GetInt() == 1);
    CHECK(log[0]["status"].GetInt() == 500);
    CHECK(str(log[0], "outcome") == "retrying");
    CHECK(log[2]["attempt"].GetInt() == 3);
    CHECK(str(log[2], "outcome") == "delivered");
}

TEST_CASE("oura-sim: a 410 answer cancels the subscription", "[sim]") {
    Sim sim({"--users", "1", "--days", "3", "--end-date", "2024-03-31"});
    Receiver gone([](const http::Request& r, int) {
        if (r.method == "GET")
            return http::json_response(200, "{\"challenge\":\"" + r.query("challenge").value_or("") + "\"}");
        return http::json_response(410, "{}");
    });
    REQUIRE(subscribe(sim, gone.url(), "update", "daily_readiness").status == 201);
    auto id = str(json(sim.truth_body(0, "daily_readiness"))["data"][0], "id");
    sim.post("/_sim/documents/0/daily_readiness/" + id + "/revise");
    flush(sim);
    CHECK(gone.count("POST") == 1);
    CHECK(json(sim.request("GET", "/v2/webhook/subscription", "", client_credentials()).body).Size() == 0);
}

TEST_CASE("oura-sim: advancing the clock delivers create events for the new documents", "[sim]") {
    Sim sim({"--users", "2", "--days", "3", "--end-date", "2024-03-31"});
    Receiver receiver;
    REQUIRE(subscribe(sim, receiver.url(), "create", "daily_activity").status == 201);
    auto before0 = items(sim.truth_body(0, "daily_activity")).size();
    auto before1 = items(sim.truth_body(1, "daily_activity")).size();
    auto adv = json(sim.post("/_sim/advance", R"({"days":1})").body);
    flush(sim);
    auto new0 = items(sim.truth_body(0, "daily_activity"));
    auto new1 = items(sim.truth_body(1, "daily_activity"));
    std::size_t expected = new0.size() - before0 + new1.size() - before1;
    REQUIRE(expected >= 1);
    auto got = receiver.wait_for(expected);
    CHECK(got.size() == expected);
    CHECK(adv["deliveries_queued"].GetInt() == static_cast<int>(expected));
    std::set<std::string> ids;
    for (const auto& r : got) {
        auto e = json(r.body);
        CHECK(str(e, "event_type") == "create");
        CHECK(str(e, "event_time").rfind("2024-04-01T", 0) == 0);
        ids.insert(str(e, "object_id"));
    }
    CHECK(ids.count(str(json(new0.back()), "id")) == 1);
    CHECK(ids.count(str(json(new1.back()), "id")) == 1);
}
