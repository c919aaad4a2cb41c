#include "oura/api/errors.hpp"

#include <catch2/catch.hpp>

using namespace oura::api;

TEST_CASE("a 401 naming a scope is a missing scope, not an expired token", "[unit][api]") {
    auto c = classify(401, R"({"detail":"Token is not authorized access heart_health scope."})");
    CHECK(c.kind == ErrorKind::missing_scope);
    CHECK(c.scope == "heart_health");
    auto rfc = classify(
        401, R"({"status":401,"title":"Unauthorized","detail":"Token is not authorized access stress scope."})");
    CHECK(rfc.kind == ErrorKind::missing_scope);
    CHECK(rfc.scope == "stress");
}

TEST_CASE("any other 401 is an expired token", "[unit][api]") {
    CHECK(classify(401, R"({"detail":"Invalid token"})").kind == ErrorKind::expired_token);
    CHECK(classify(401, R"({"status":401,"title":"Unauthorized","detail":"Token expired"})").kind ==
          ErrorKind::expired_token);
    CHECK(classify(401, "").kind == ErrorKind::expired_token);
    CHECK(classify(401, "<html>nope</html>").kind == ErrorKind::expired_token);
}

TEST_CASE("statuses map to the kinds callers act on", "[unit][api]") {
    CHECK(classify(403, R"({"detail":"Forbidden"})").kind == ErrorKind::forbidden);
    CHECK(classify(404, R"({"detail":"Document not found."})").kind == ErrorKind::not_found);
    CHECK(classify(429, "").kind == ErrorKind::rate_limited);
    CHECK(classify(500, "").kind == ErrorKind::server_error);
    CHECK(classify(502, "<html>bad gateway</html>").kind == ErrorKind::server_error);
    CHECK(classify(504, "").kind == ErrorKind::server_error);
    CHECK(classify(400, R"({"detail":"bad"})").kind == ErrorKind::bad_request);
    CHECK(classify(422, "{}").kind == ErrorKind::bad_request);
    CHECK(classify(405, "").kind == ErrorKind::bad_request);
    CHECK(classify(408, "").kind == ErrorKind::timeout);
    CHECK(classify(302, "").kind == ErrorKind::bad_response);
}

TEST_CASE("validation errors are summarised from their loc and msg", "[unit][api]") {
    auto c = classify(422, R"({"detail":[{"type":"value_error","loc":["query","start_date"],
        "msg":"Start date must be before end date","input":"2024-01-02"},
        {"type":"missing","loc":["body",0],"msg":"Field required"}]})");
    CHECK(c.kind == ErrorKind::bad_request);
    CHECK(c.detail == "query.start_date: Start date must be before end date; body.0: Field required");
}

TEST_CASE("OAuth errors are understood on the token endpoint", "[unit][api]") {
    auto c = classify(400, R"({"error":"invalid_grant","error_description":"Refresh token already used"})");
    CHECK(c.kind == ErrorKind::invalid_grant);
    CHECK(c.detail == "invalid_grant: Refresh token already used");
    CHECK(classify(401, R"({"error":"invalid_grant"})").kind == ErrorKind::invalid_grant);
    CHECK(classify(401, R"({"error":"invalid_client"})").kind == ErrorKind::bad_request);
}

TEST_CASE("a body without a message falls back to the reason phrase, and long messages are cut", "[unit][api]") {
    CHECK(classify(503, "").detail == "Service Unavailable");
    std::string huge = R"({"detail":")" + std::string(5000, 'x') + R"("})";
    CHECK(classify(400, huge).detail.size() < 320);
    CHECK(error_detail(R"({"detail":"line\nbreak"})") == "line break");
}

TEST_CASE("api_error carries kind, status, detail and retry-after", "[unit][api]") {
    api_error e(ErrorKind::rate_limited, 429, "slow down", "sleep", std::chrono::seconds(7));
    CHECK(e.kind() == ErrorKind::rate_limited);
    CHECK(e.status() == 429);
    CHECK(e.retry_after() == std::chrono::seconds(7));
    CHECK(std::string(e.what()) == "Oura API sleep: rate_limited (HTTP 429): slow down");
    CHECK(is_transient(ErrorKind::server_error));
    CHECK_FALSE(is_transient(ErrorKind::missing_scope));
    CHECK_FALSE(is_transient(ErrorKind::invalid_grant));
}
