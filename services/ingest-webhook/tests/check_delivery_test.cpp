// What POST /webhook/oura decides before the database: signature, timestamp window, event shape.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cctype>

#include "ingest_webhook_app.hpp"
#include "oura/core/crypto.hpp"

using namespace oura;
using oura::ingest_webhook::check_delivery;

namespace {

const std::vector<std::string> secrets{"current-secret", "previous-secret"};
const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1'760'000'000));
const std::string body =
    R"({"event_type":"update","data_type":"sleep","object_id":"doc-1","event_time":"2025-10-09T08:00:00+00:00","user_id":"u-1"})";

http::Request signed_request(const std::string& secret, const std::string& timestamp, const std::string& payload,
                             bool upper = true) {
    http::Request r;
    r.method = "POST";
    r.target = "/webhook/oura";
    r.body = payload;
    auto sig = core::hmac_sha256_hex(secret, timestamp + payload);
    if (upper) std::transform(sig.begin(), sig.end(), sig.begin(), [](unsigned char c) { return std::toupper(c); });
    r.headers.add("x-oura-timestamp", timestamp);
    r.headers.add("x-oura-signature", sig);
    return r;
}

const std::string ts = "1760000000";

}  // namespace

TEST_CASE("a delivery signed with the client secret is accepted", "[unit][webhook]") {
    auto c = check_delivery(secrets, std::chrono::seconds(300), signed_request("current-secret", ts, body), now);
    CHECK(c.status == 200);
    CHECK(c.outcome.empty());
    REQUIRE(c.event);
    CHECK(c.event->object_id == "doc-1");
}

TEST_CASE("a delivery signed with the rotated-out secret is still accepted", "[unit][webhook]") {
    auto c = check_delivery(secrets, std::chrono::seconds(300), signed_request("previous-secret", ts, body), now);
    CHECK(c.status == 200);
}

TEST_CASE("upper- and lower-case hex signatures are both accepted", "[unit][webhook]") {
    CHECK(check_delivery(secrets, std::chrono::seconds(300), signed_request("current-secret", ts, body, true), now).status == 200);
    CHECK(check_delivery(secrets, std::chrono::seconds(300), signed_request("current-secret", ts, body, false), now).status == 200);
}

TEST_CASE("a delivery signed with a wrong secret is refused with 401", "[unit][webhook]") {
    auto c = check_delivery(secrets, std::chrono::seconds(300), signed_request("not-our-secret", ts, body), now);
    CHECK(c.status == 401);
    CHECK(c.outcome == "unauthorized");
}

TEST_CASE("the edge refuses a delivery with one changed body byte with 401", "[unit][webhook]") {
    auto r = signed_request("current-secret", ts, body);
    r.body[r.body.find("doc-1") + 4] = '2';
    CHECK(check_delivery(secrets, std::chrono::seconds(300), r, now).status == 401);
}

TEST_CASE("stale and future timestamps are refused even when signed", "[unit][webhook]") {
    auto stale = std::to_string(1'760'000'000 - 301);
    auto future = std::to_string(1'760'000'000 + 301);
    CHECK(check_delivery(secrets, std::chrono::seconds(300), signed_request("current-secret", stale, body), now).status == 401);
    CHECK(check_delivery(secrets, std::chrono::seconds(300), signed_request("current-secret", future, body), now).status == 401);
    auto edge = std::to_string(1'760'000'000 - 300);
    CHECK(check_delivery(secrets, std::chrono::seconds(300), signed_request("current-secret", edge, body), now).status == 200);
    // The window is configurable.
    CHECK(check_delivery(secrets, std::chrono::seconds(600), signed_request("current-secret", stale, body), now).status == 200);
}

TEST_CASE("missing signature headers are refused with 401", "[unit][webhook]") {
    auto r = signed_request("current-secret", ts, body);
    http::Request no_sig = r;
    no_sig.headers = {};
    no_sig.headers.add("x-oura-timestamp", ts);
    CHECK(check_delivery(secrets, std::chrono::seconds(300), no_sig, now).status == 401);
    http::Request no_ts = r;
    no_ts.headers = {};
    no_ts.headers.add("x-oura-signature", std::string(*r.headers.get("x-oura-signature")));
    CHECK(check_delivery(secrets, std::chrono::seconds(300), no_ts, now).status == 401);
}

TEST_CASE("signed empty and non-JSON bodies are malformed: 400", "[unit][webhook]") {
    for (std::string payload : {std::string(), std::string("not json"), std::string("[1,2]"),
                                std::string(R"({"event_type":"rename","data_type":"sleep","object_id":"a","event_time":"2025-10-09T08:00:00Z","user_id":"u"})")}) {
        auto c = check_delivery(secrets, std::chrono::seconds(300), signed_request("current-secret", ts, payload), now);
        CHECK(c.status == 400);
        CHECK(c.outcome == "malformed");
    }
}

TEST_CASE("an unknown data_type is a well-formed event, kept not refused", "[unit][webhook]") {
    std::string payload =
        R"({"event_type":"create","data_type":"blood_glucose","object_id":"g-1","event_time":"2025-10-09T08:00:00Z","user_id":"u-1"})";
    auto c = check_delivery(secrets, std::chrono::seconds(300), signed_request("current-secret", ts, payload), now);
    CHECK(c.status == 200);
    REQUIRE(c.event);
    CHECK_FALSE(c.event->known_data_type);
}
