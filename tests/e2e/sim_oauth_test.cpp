// oura-sim's OAuth2 server as an app sees it: the authorization-code flow with PKCE, single-use
// rotating refresh tokens, denial, and expiring access tokens.

#include "oura/core/crypto.hpp"
#include "sim_support.hpp"
#include "wait.hpp"

using namespace oura;
using namespace oura::test::sim;

namespace {

const std::string redirect_uri = "http://127.0.0.1:9/oauth/callback";

std::map<std::string, std::string> redirect_params(const http::ClientResponse& r) {
    REQUIRE(r.status == 302);
    auto location = std::string(r.headers.get("Location").value_or(""));
    REQUIRE(location.rfind(redirect_uri + "?", 0) == 0);
    std::map<std::string, std::string> out;
    for (auto& [k, v] : http::parse_query(location.substr(location.find('?') + 1))) out[k] = v;
    return out;
}

std::string authorize_query(const std::string& challenge, const std::string& extra = {}) {
    return "/oauth/authorize?response_type=code&client_id=oura-sim-client&redirect_uri=" +
           http::percent_encode(redirect_uri) + "&scope=" + http::percent_encode("daily heartrate personal") +
           "&state=st4te&code_challenge=" + challenge + "&code_challenge_method=S256" + extra;
}

http::ClientResponse token_request(Sim& sim, const std::vector<std::pair<std::string, std::string>>& form,
                                   bool basic = false) {
    http::Headers h;
    h.set("Content-Type", "application/x-www-form-urlencoded");
    auto params = form;
    if (basic)
        h.set("Authorization", "Basic " + core::base64url("oura-sim-client:oura-sim-secret"));
    else {
        params.emplace_back("client_id", "oura-sim-client");
        params.emplace_back("client_secret", "oura-sim-secret");
    }
    return sim.post("/oauth/token", http::build_query(params), h);
}

std::string str(const rapidjson::Document& d, const char* key) {
    return d.HasMember(key) && d[key].IsString() ? d[key].GetString() : "";
}

}  // namespace

TEST_CASE("oura-sim: the code flow with PKCE issues tokens once, and refresh tokens rotate", "[sim]") {
    Sim sim({"--users", "2", "--days", "3", "--end-date", "2024-03-31"});
    std::string verifier = core::base64url(core::random_bytes(32));
    std::string challenge = core::base64url(core::sha256_raw(verifier));

    // login_hint picks the simulated user; state and the granted scopes come back on the redirect.
    auto first = redirect_params(sim.get(authorize_query(challenge, "&login_hint=1")));
    CHECK(first["state"] == "st4te");
    CHECK(first["scope"] == "personal daily heartrate");
    auto no_verifier = token_request(
        sim, {{"grant_type", "authorization_code"}, {"code", first["code"]}, {"redirect_uri", redirect_uri}});
    CHECK(no_verifier.status == 400);
    CHECK(str(json(no_verifier.body), "error") == "invalid_grant");

    auto second = redirect_params(sim.get(authorize_query(challenge, "&login_hint=1")));
    auto granted = token_request(sim, {{"grant_type", "authorization_code"},
                                       {"code", second["code"]},
                                       {"redirect_uri", redirect_uri},
                                       {"code_verifier", verifier}});
    REQUIRE(granted.status == 200);
    auto tokens = json(granted.body);
    CHECK(str(tokens, "token_type") == "bearer");
    CHECK(tokens["expires_in"].GetInt() == 86400);
    CHECK(str(tokens, "scope") == "personal daily heartrate");
    auto replay = token_request(sim, {{"grant_type", "authorization_code"},
                                      {"code", second["code"]},
                                      {"redirect_uri", redirect_uri},
                                      {"code_verifier", verifier}});
    CHECK(replay.status == 400);

    auto access = str(tokens, "access_token");
    auto info = json(sim.get("/v2/usercollection/personal_info", access).body);
    CHECK(str(info, "id") == sim.user_id(1));
    CHECK(sim.get("/v2/usercollection/daily_sleep", access).status == 200);
    CHECK(sim.get("/v2/usercollection/workout", access).status == 401);

    // Refresh (HTTP Basic client auth): a new pair; the old refresh token is dead.
    auto refreshed =
        token_request(sim, {{"grant_type", "refresh_token"}, {"refresh_token", str(tokens, "refresh_token")}}, true);
    REQUIRE(refreshed.status == 200);
    auto rotated = json(refreshed.body);
    CHECK(str(rotated, "refresh_token") != str(tokens, "refresh_token"));
    CHECK(sim.get("/v2/usercollection/daily_sleep", str(rotated, "access_token")).status == 200);
    auto reused =
        token_request(sim, {{"grant_type", "refresh_token"}, {"refresh_token", str(tokens, "refresh_token")}});
    CHECK(reused.status == 400);
    CHECK(str(json(reused.body), "error") == "invalid_grant");
    CHECK(token_request(sim, {{"grant_type", "refresh_token"}, {"refresh_token", str(rotated, "refresh_token")}})
              .status == 200);

    auto stats = json(sim.get("/_sim/stats").body);
    CHECK(stats["grants"]["refresh_token"]["200"].GetInt() == 2);
    CHECK(stats["grants"]["refresh_token"]["400"].GetInt() == 1);
    CHECK(stats["grants"]["authorization_code"]["200"].GetInt() == 1);
    CHECK(stats["grants"]["authorization_code"]["400"].GetInt() == 2);
}

TEST_CASE("oura-sim: authorize can be told to deny, and refuses an unknown client", "[sim]") {
    Sim sim({"--users", "1", "--days", "2", "--end-date", "2024-03-31"});
    CHECK(sim.post("/_sim/oauth/deny").status == 200);
    auto denied = redirect_params(sim.get(authorize_query("x")));
    CHECK(denied["error"] == "access_denied");
    CHECK(denied["state"] == "st4te");
    CHECK(denied.count("code") == 0);
    CHECK(redirect_params(sim.get(authorize_query("x"))).count("code") == 1);  // only the next one
    auto unknown = sim.get("/oauth/authorize?response_type=code&client_id=someone-else&redirect_uri=" +
                           http::percent_encode(redirect_uri));
    CHECK(unknown.status == 400);
    auto bad_secret =
        sim.post("/oauth/token", "grant_type=refresh_token&refresh_token=x&client_id=oura-sim-client&client_secret=no");
    CHECK(bad_secret.status == 401);
    CHECK(str(json(bad_secret.body), "error") == "invalid_client");
}

TEST_CASE("oura-sim: an access token dies after --token-expires-in and a refresh revives access", "[sim]") {
    Sim sim({"--users", "1", "--days", "2", "--end-date", "2024-03-31", "--token-expires-in", "1"});
    auto before_mint = std::chrono::steady_clock::now();
    auto minted = json(sim.post("/_sim/users/0/token").body);
    CHECK(minted["expires_in"].GetInt() == 1);
    CHECK(str(minted, "user_id") == sim.user_id(0));
    http::ClientResponse r;
    oura::test::wait_until("the access token is refused", [&] {
        r = sim.get("/v2/usercollection/daily_sleep", str(minted, "access_token"));
        return r.status != 200;
    });
    // Refused for having expired, and not before its second was up.
    CHECK(std::chrono::steady_clock::now() - before_mint >= std::chrono::seconds(1));
    CHECK(r.status == 401);
    CHECK(str(json(r.body), "detail") == "Access token has expired.");
    auto refreshed =
        token_request(sim, {{"grant_type", "refresh_token"}, {"refresh_token", str(minted, "refresh_token")}});
    REQUIRE(refreshed.status == 200);
    CHECK(json(refreshed.body)["expires_in"].GetInt() == 1);
    CHECK(sim.get("/v2/usercollection/daily_sleep", str(json(refreshed.body), "access_token")).status == 200);
}
