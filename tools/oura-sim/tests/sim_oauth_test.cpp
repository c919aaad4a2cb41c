#include "sim_oauth.hpp"

#include <catch2/catch.hpp>

#include "oura/core/crypto.hpp"
#include "oura/core/json.hpp"

using namespace oura::sim;
using namespace std::chrono_literals;

namespace {

struct Fixture {
    oura::core::ManualClock clock{std::chrono::system_clock::time_point{} + std::chrono::hours(24 * 20000)};
    OAuthServer oauth{OAuthOptions{"cid", "csecret", 3600s}, clock};

    GrantResult exchange(const std::string& code, const std::string& verifier = "") {
        Params form{{"grant_type", "authorization_code"},
                    {"code", code},
                    {"redirect_uri", "http://cb/x"},
                    {"client_id", "cid"},
                    {"client_secret", "csecret"}};
        if (!verifier.empty()) form.emplace_back("code_verifier", verifier);
        return oauth.token(form, std::nullopt);
    }
    GrantResult refresh(const std::string& token) {
        return oauth.token({{"grant_type", "refresh_token"}, {"refresh_token", token}},
                           "Basic " + oura::core::base64url("cid:csecret"));
    }
};

std::string member(const std::string& body, const char* key) {
    auto doc = oura::core::parse_json(body);
    return std::string(oura::core::get_string(doc, key).value_or(""));
}

}  // namespace

TEST_CASE("scopes parse from Oura's spellings and drop unknown names", "[unit][sim]") {
    auto s = parse_scopes("daily heartrate spo2Daily nonsense");
    CHECK(format_scopes(s) == "daily heartrate spo2");
    CHECK(format_scopes(all_scopes) ==
          "email personal daily heartrate workout tag session spo2 stress heart_health ring_configuration");
    CHECK(has_scope(s, ""));
    CHECK_FALSE(has_scope(s, "email"));
}

TEST_CASE("S256 PKCE matches the RFC 7636 example", "[unit][sim]") {
    CHECK(pkce_matches("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", "S256",
                       "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"));
    CHECK_FALSE(pkce_matches("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", "S256", "wrong"));
    CHECK_FALSE(pkce_matches("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", "S256", ""));
}

TEST_CASE("authorization headers parse", "[unit][sim]") {
    CHECK(bearer_token("Bearer abc") == std::optional<std::string_view>("abc"));
    CHECK(bearer_token("bearer  abc ") == std::optional<std::string_view>("abc"));
    CHECK_FALSE(bearer_token("Basic abc"));
    CHECK_FALSE(bearer_token("Bearer "));
    auto basic = parse_basic_auth("Basic " + oura::core::base64url("id:se:cret"));
    REQUIRE(basic);
    CHECK(basic->first == "id");
    CHECK(basic->second == "se:cret");
}

TEST_CASE("a code is exchanged once, with the right PKCE verifier", "[unit][sim]") {
    Fixture f;
    std::string verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    auto code = f.oauth.issue_code(1, parse_scopes("daily"), "http://cb/x",
                                   "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", "S256");
    auto bad = f.exchange(code, "wrong-verifier");
    CHECK(bad.status == 400);
    CHECK(member(bad.body, "error") == "invalid_grant");
    // A failed exchange used the code up, as single use demands.
    code = f.oauth.issue_code(1, parse_scopes("daily"), "http://cb/x", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
                              "S256");
    auto ok = f.exchange(code, verifier);
    REQUIRE(ok.status == 200);
    CHECK(ok.grant_type == "authorization_code");
    CHECK(member(ok.body, "token_type") == "bearer");
    CHECK(member(ok.body, "scope") == "daily");
    auto check = f.oauth.check("Bearer " + member(ok.body, "access_token"));
    CHECK(check.state == TokenState::ok);
    CHECK(check.user == 1);
    CHECK(f.exchange(code, verifier).status == 400);
}

TEST_CASE("an expired code is refused", "[unit][sim]") {
    Fixture f;
    auto code = f.oauth.issue_code(0, all_scopes, "http://cb/x", "", "");
    f.clock.advance(11min);
    auto r = f.exchange(code);
    CHECK(r.status == 400);
    CHECK(member(r.body, "error") == "invalid_grant");
}

TEST_CASE("refresh tokens rotate and work exactly once", "[unit][sim]") {
    Fixture f;
    auto first = f.oauth.mint(0, all_scopes);
    auto r1 = f.refresh(first.refresh_token);
    REQUIRE(r1.status == 200);
    auto next_refresh = member(r1.body, "refresh_token");
    CHECK(next_refresh != first.refresh_token);
    auto again = f.refresh(first.refresh_token);
    CHECK(again.status == 400);
    CHECK(member(again.body, "error") == "invalid_grant");
    CHECK(f.refresh(next_refresh).status == 200);
}

TEST_CASE("wrong client credentials are invalid_client", "[unit][sim]") {
    Fixture f;
    auto r = f.oauth.token(
        {{"grant_type", "refresh_token"}, {"refresh_token", "x"}, {"client_id", "cid"}, {"client_secret", "nope"}},
        std::nullopt);
    CHECK(r.status == 401);
    CHECK(member(r.body, "error") == "invalid_client");
}

TEST_CASE("access tokens expire on the wall clock and can be forced to", "[unit][sim]") {
    Fixture f;
    auto t = f.oauth.mint(2, all_scopes, 60s);
    CHECK(f.oauth.check("Bearer " + t.access_token).state == TokenState::ok);
    f.clock.advance(61s);
    CHECK(f.oauth.check("Bearer " + t.access_token).state == TokenState::expired);
    auto u = f.oauth.mint(2, all_scopes);
    CHECK(f.oauth.expire(u.access_token));
    CHECK(f.oauth.check("Bearer " + u.access_token).state == TokenState::expired);
    CHECK(f.oauth.check("Bearer nope").state == TokenState::unknown);
    CHECK(f.oauth.check(std::nullopt).state == TokenState::missing);
}

TEST_CASE("a user's granted scopes narrow every token at once", "[unit][sim]") {
    Fixture f;
    auto t = f.oauth.mint(0, all_scopes);
    f.oauth.set_user_scopes(0, parse_scopes("daily"));
    CHECK(f.oauth.check("Bearer " + t.access_token).scopes == parse_scopes("daily"));
    CHECK(missing_scope_message("heartrate") == "Token is not authorized access heartrate scope.");
}
