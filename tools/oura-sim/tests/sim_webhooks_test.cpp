#include "sim_webhooks.hpp"

#include <catch2/catch.hpp>

#include "oura/core/crypto.hpp"
#include "sim_catalog.hpp"

using namespace oura::sim;
using namespace std::chrono_literals;

TEST_CASE("the signature is upper-case HMAC-SHA256 of timestamp and body", "[unit][sim]") {
    std::string body = R"({"event_type":"create"})";
    auto sig = webhook_signature("secret", "1700000000", body);
    CHECK(sig.size() == 64);
    CHECK(sig.find_first_of("abcdef") == std::string::npos);
    auto lower = oura::core::hmac_sha256_hex("secret", "1700000000" + body);
    std::string upper = lower;
    for (auto& c : upper) c = static_cast<char>(std::toupper(c));
    CHECK(sig == upper);
    CHECK(webhook_signature("secret", "1700000001", body) != sig);
    CHECK(webhook_signature("secret", "1700000000", body + " ") != sig);
}

TEST_CASE("the event body has Oura's five fields in order", "[unit][sim]") {
    CHECK(
        webhook_event_body("update", "sleep", "doc-1", "2024-01-01T08:00:00+00:00", "user-1") ==
        R"({"event_type":"update","data_type":"sleep","object_id":"doc-1","event_time":"2024-01-01T08:00:00+00:00","user_id":"user-1"})");
}

TEST_CASE("retries wait base, then double", "[unit][sim]") {
    CHECK(retry_delay(200ms, 2) == 200ms);
    CHECK(retry_delay(200ms, 3) == 400ms);
    CHECK(retry_delay(200ms, 10) == 51200ms);
}

TEST_CASE("the handshake answer must be 200 with the same challenge", "[unit][sim]") {
    CHECK(handshake_answer_ok(200, R"({"challenge":"abc"})", "abc"));
    CHECK_FALSE(handshake_answer_ok(200, R"({"challenge":"abd"})", "abc"));
    CHECK_FALSE(handshake_answer_ok(401, R"({"challenge":"abc"})", "abc"));
    CHECK_FALSE(handshake_answer_ok(200, "abc", "abc"));
}

TEST_CASE("subscription ids are uuid4", "[unit][sim]") {
    auto id = new_uuid4();
    REQUIRE(id.size() == 36);
    CHECK(id[14] == '4');
    CHECK(std::string("89ab").find(id[19]) != std::string::npos);
    CHECK(new_uuid4() != id);
}

TEST_CASE("webhook data types map to REST resources (vo2_max → vO2_max)", "[unit][sim]") {
    REQUIRE(resource_for_data_type("vo2_max"));
    CHECK(resource_for_data_type("vo2_max")->name == "vO2_max");
    CHECK_FALSE(resource_for_data_type("meal"));
    CHECK(find_resource("heartrate")->data_type.empty());
    CHECK(find_resource("daily_resilience")->scope == "stress");
    CHECK(find_resource("daily_stress")->scope == "daily");
}
