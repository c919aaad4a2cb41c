#include "oura/api/webhook.hpp"

#include <catch2/catch.hpp>

#include "oura/api/errors.hpp"

using namespace oura::api;
using namespace std::chrono;

namespace {
const std::string secret = "client-secret-xyz";
const std::string ts = "1714550400";
const std::string body =
    R"({"event_type":"update","data_type":"sleep","object_id":"abc-123","event_time":"2024-05-01T08:00:00+00:00","user_id":"u-1"})";
// HMAC-SHA256(secret, ts + body), computed independently (Python hmac).
const std::string signature = "10645A46025CAF6F1C29D3FAF6E2F95A52E6DE57EA0F19F576724B16FD278842";
std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}
}  // namespace

TEST_CASE("a delivery signed with the client secret verifies in upper or lower hex", "[unit][api]") {
    CHECK(verify_signature(secret, ts, body, signature));
    CHECK(verify_signature(secret, ts, body, lower(signature)));
    CHECK(verify_signature(secret, ts, body, "sha256=" + lower(signature)));
}

TEST_CASE("a delivery with one changed body byte is refused", "[unit][api]") {
    auto changed = body;
    changed[changed.find("abc")] = 'x';
    CHECK_FALSE(verify_signature(secret, ts, changed, signature));
    CHECK_FALSE(verify_signature(secret, "1714550401", body, signature));  // another timestamp
    CHECK_FALSE(verify_signature("other-secret", ts, body, signature));
    CHECK_FALSE(verify_signature(secret, ts, body, ""));
    CHECK_FALSE(verify_signature(secret, ts, body, signature.substr(0, 63)));
    CHECK_FALSE(verify_signature("", ts, body, signature));
}

TEST_CASE("a stale or future timestamp is not fresh", "[unit][api]") {
    system_clock::time_point at(seconds(1714550400));
    CHECK(timestamp_fresh(ts, at));
    CHECK(timestamp_fresh(ts, at + seconds(300)));
    CHECK_FALSE(timestamp_fresh(ts, at + seconds(301)));
    CHECK_FALSE(timestamp_fresh(ts, at - seconds(301)));
    CHECK(timestamp_fresh("1714550400000", at + seconds(10)));  // milliseconds
    CHECK(timestamp_fresh("2024-05-01T08:00:00+00:00", at));
    CHECK_FALSE(timestamp_fresh("", at));
    CHECK_FALSE(timestamp_fresh("yesterday", at));
}

TEST_CASE("huge or negative or exponent or empty or garbage webhook timestamps are refused and never overflow",
          "[unit][api]") {
    const auto at = system_clock::time_point(seconds(1714550400));
    for (const char* ts : {"99999999999999999999", "9999999999999999", "-1", "1e9", "", "  ", "soon",
                           "9999-12-31T23:59:59+00:00", "4102444801"}) {
        INFO("x-oura-timestamp '" << ts << "'");
        CHECK_FALSE(parse_webhook_timestamp(ts));
        CHECK_FALSE(timestamp_fresh(ts, at));
    }
    // The documented bound itself, in seconds and in milliseconds, still reads.
    CHECK(parse_webhook_timestamp("4102444800") == system_clock::time_point(max_webhook_timestamp));
    CHECK(parse_webhook_timestamp("4102444800000") == system_clock::time_point(max_webhook_timestamp));
    CHECK(parse_webhook_timestamp(" 1714550400 ") == at);
}

TEST_CASE("an event is parsed and mapped to its collection", "[unit][api]") {
    auto e = parse_event(body);
    REQUIRE(e);
    CHECK(e->event_type == "update");
    CHECK(e->data_type == "sleep");
    CHECK(e->object_id == "abc-123");
    CHECK(e->user_id == "u-1");
    CHECK(e->known_data_type);
    CHECK(e->resource() == find_resource("sleep"));
    auto vo2 = parse_event(
        R"({"event_type":"delete","data_type":"vo2_max","object_id":"v","event_time":"2024-05-01T08:00:00Z","user_id":"u"})");
    REQUIRE(vo2);
    CHECK(vo2->resource() == find_resource("vO2_max"));
}

TEST_CASE("events with bad enums or missing fields are refused, and new data types are kept", "[unit][api]") {
    auto with = [](std::string_view et, std::string_view dt, std::string_view id = "o",
                   std::string_view time = "2024-05-01T08:00:00+00:00") {
        return std::string(R"({"event_type":")") + std::string(et) + R"(","data_type":")" + std::string(dt) +
               R"(","object_id":")" + std::string(id) + R"(","event_time":")" + std::string(time) +
               R"(","user_id":"u"})";
    };
    CHECK_FALSE(parse_event(with("upsert", "sleep")));
    CHECK_FALSE(parse_event(with("update", "Sleep Data")));
    CHECK_FALSE(parse_event(with("update", "sleep", "")));
    CHECK_FALSE(parse_event(with("update", "sleep", "o", "not a time")));
    CHECK_FALSE(parse_event(R"({"event_type":"update","data_type":"sleep"})"));
    CHECK_FALSE(parse_event("[]"));
    CHECK_FALSE(parse_event("{"));
    auto meal = parse_event(with("create", "meal"));
    REQUIRE(meal);
    CHECK(meal->known_data_type);
    CHECK(meal->resource() == nullptr);
    auto future = parse_event(with("create", "blood_glucose"));
    REQUIRE(future);
    CHECK_FALSE(future->known_data_type);
}

TEST_CASE("the verification handshake echoes the challenge only for the right token", "[unit][api]") {
    CHECK(answer_verification("vtok", "vtok", "abc\"d") == R"({"challenge":"abc\"d"})");
    CHECK_FALSE(answer_verification("vtok", "other", "abc"));
    CHECK_FALSE(answer_verification("", "", "abc"));
}

TEST_CASE("subscription models are read from Oura's answers", "[unit][api]") {
    auto one = parse_subscription(
        R"({"id":"5d2c","callback_url":"https://x/webhook/oura","event_type":"create","data_type":"sleep","expiration_time":"2025-09-01T00:00:00+00:00"})");
    CHECK(one.id == "5d2c");
    CHECK(one.data_type == "sleep");
    CHECK(one.expiration_time == "2025-09-01T00:00:00+00:00");
    CHECK(parse_subscriptions("[]").empty());
    CHECK(parse_subscriptions(R"([{"id":"a"},{"id":"b"}])").size() == 2);
    CHECK_THROWS_AS(parse_subscription(R"({"callback_url":"x"})"), api_error);
    CHECK_THROWS_AS(parse_subscriptions(R"({"id":"a"})"), api_error);
}
