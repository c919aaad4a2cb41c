#include "oura/api/oauth.hpp"

#include <catch2/catch.hpp>

#include "oura/api/errors.hpp"
#include "oura/http/message.hpp"

using namespace oura::api;

TEST_CASE("the S256 challenge matches RFC 7636 Appendix B", "[unit][api]") {
    CHECK(pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") ==
          "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
}

TEST_CASE("a fresh PKCE pair is a 43-character verifier and its challenge", "[unit][api]") {
    auto a = make_pkce();
    auto b = make_pkce();
    CHECK(a.verifier.size() == 43);
    CHECK(a.challenge == pkce_challenge(a.verifier));
    CHECK(a.verifier != b.verifier);
    for (char c : a.verifier) CHECK((std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_'));
    CHECK(make_state() != make_state());
}

TEST_CASE("the authorize URL carries every parameter, encoded", "[unit][api]") {
    auto url = authorize_url("https://cloud.ouraring.com/", "my-client", "https://oura.example/oauth/callback",
                             {"daily", "heartrate"}, "st8", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    CHECK(url ==
          "https://cloud.ouraring.com/oauth/authorize?response_type=code&client_id=my-client"
          "&redirect_uri=https%3A%2F%2Foura.example%2Foauth%2Fcallback&scope=daily%20heartrate&state=st8"
          "&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256");
    auto bare = authorize_url("https://cloud.ouraring.com", "c", "", {}, "s", "");
    CHECK(bare == "https://cloud.ouraring.com/oauth/authorize?response_type=code&client_id=c&state=s");
}

TEST_CASE("a token answer is read with its expiry and scopes", "[unit][api]") {
    auto t = parse_token_response(
        R"({"access_token":"AT1","token_type":"bearer","expires_in":86400,"refresh_token":"RT2","scope":"daily heartrate spo2"})");
    CHECK(t.access_token == "AT1");
    CHECK(t.refresh_token == "RT2");
    CHECK(t.token_type == "bearer");
    CHECK(t.expires_in == std::chrono::seconds(86400));
    CHECK(t.scopes == std::vector<std::string>{"daily", "heartrate", "spo2"});
    auto s = parse_token_response(R"({"access_token":"A","refresh_token":"R","expires_in":"3600"})");
    CHECK(s.expires_in == std::chrono::seconds(3600));
    CHECK(s.token_type == "bearer");
    CHECK(s.scopes.empty());
}

TEST_CASE("a huge or negative or empty or garbage expires_in is bounded and never overflows", "[unit][api]") {
    auto expiry = [](const std::string& value) {
        return parse_token_response(R"({"access_token":"A","refresh_token":"R","expires_in":)" + value + "}")
            .expires_in;
    };
    const auto unstated = std::chrono::seconds(3600);
    CHECK(expiry("99999999999999999999") == max_token_lifetime);
    CHECK(expiry(R"("99999999999999999999")") == max_token_lifetime);
    CHECK(expiry("18446744073709551615") == max_token_lifetime);
    CHECK(expiry("1e9") == max_token_lifetime);
    CHECK(expiry(R"("1e9")") == unstated);
    CHECK(expiry("-1") == unstated);
    CHECK(expiry(R"("-1")") == unstated);
    CHECK(expiry("0") == unstated);
    CHECK(expiry(R"("")") == unstated);
    CHECK(expiry(R"("a day")") == unstated);
    CHECK(expiry("null") == unstated);
    CHECK(expiry("86400.7") == std::chrono::seconds(86400));
}

TEST_CASE("a token answer without a new refresh token is refused and the message shows no token", "[unit][api]") {
    try {
        parse_token_response(R"({"access_token":"SECRET-ACCESS-TOKEN","expires_in":86400})");
        FAIL("accepted a rotation without a refresh token");
    } catch (const api_error& e) {
        CHECK(e.kind() == ErrorKind::bad_response);
        CHECK(std::string(e.what()).find("SECRET-ACCESS-TOKEN") == std::string::npos);
    }
    CHECK_THROWS_AS(parse_token_response(R"({"refresh_token":"R"})"), api_error);
    CHECK_THROWS_AS(parse_token_response("not json"), api_error);
}

TEST_CASE("the default scopes include the undocumented ones Oura requires", "[unit][api]") {
    const auto& s = default_scopes();
    for (auto needed : {"daily", "heartrate", "spo2", "stress", "heart_health", "ring_configuration", "personal"})
        CHECK(std::find(s.begin(), s.end(), needed) != s.end());
    CHECK(split_scopes(" daily,heartrate  tag ") == std::vector<std::string>{"daily", "heartrate", "tag"});
}
