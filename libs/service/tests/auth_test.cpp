// Bearer tokens: which role a request's credentials give, and what a client sees without them.
#include <catch2/catch.hpp>

#include "oura/core/config.hpp"
#include "oura/service/auth.hpp"

using namespace oura;
using service::Access;
using service::Role;
using service::TokenSet;

namespace {

http::Request with_header(std::string_view name, std::string_view value) {
    http::Request r;
    r.method = "GET";
    r.target = "/api/stats";
    r.headers.set(name, value);
    return r;
}

Access access() {
    return Access::from_env(core::Env::from({{"OURA_QUERY_READ_TOKENS", "read-token-aaaaaaaa, read-token-bbbbbbbb"},
                                             {"OURA_QUERY_ADMIN_TOKENS", "admin-token-cccccccc"}}));
}

}  // namespace

TEST_CASE("either of two rotated read tokens gives the read role, the admin token gives admin", "[unit][service]") {
    auto a = access();
    CHECK(a.role_of(with_header("Authorization", "Bearer read-token-aaaaaaaa")) == Role::read);
    CHECK(a.role_of(with_header("Authorization", "bearer read-token-bbbbbbbb")) == Role::read);
    CHECK(a.role_of(with_header("Authorization", "Bearer admin-token-cccccccc")) == Role::admin);
}

TEST_CASE("a wrong, truncated, extended or missing token gives no role", "[unit][service]") {
    auto a = access();
    CHECK(a.role_of(with_header("Authorization", "Bearer read-token-aaaaaaa")) == Role::none);
    CHECK(a.role_of(with_header("Authorization", "Bearer read-token-aaaaaaaaa")) == Role::none);
    CHECK(a.role_of(with_header("Authorization", "Basic read-token-aaaaaaaa")) == Role::none);
    CHECK(a.role_of(with_header("Authorization", "Bearer ")) == Role::none);
    CHECK(a.role_of(with_header("X-Other", "x")) == Role::none);
}

TEST_CASE("the cookie counts only when the caller names it", "[unit][service]") {
    auto a = access();
    auto r = with_header("Cookie", "theme=dark; oura_read=read-token-aaaaaaaa");
    CHECK(a.role_of(r) == Role::none);
    CHECK(a.role_of(r, "oura_read") == Role::read);
    CHECK(service::cookie(r, "theme") == std::optional<std::string>("dark"));
    CHECK_FALSE(service::cookie(r, "missing"));
}

TEST_CASE("a token shorter than 16 characters is a configuration error naming the variable", "[unit][service]") {
    auto env = core::Env::from({{"OURA_QUERY_ADMIN_TOKENS", "short"}});
    CHECK_THROWS_WITH(TokenSet::from_env(env, "OURA_QUERY_ADMIN_TOKENS"),
                      Catch::Contains("OURA_QUERY_ADMIN_TOKENS") && !Catch::Contains("short"));
    CHECK(TokenSet::from_env(core::Env::from({}), "OURA_QUERY_ADMIN_TOKENS").empty());
}

TEST_CASE("401 carries WWW-Authenticate and a JSON body, 403 is JSON", "[unit][service]") {
    auto u = service::unauthorized();
    CHECK(u.status == 401);
    CHECK(u.headers.get("WWW-Authenticate").value_or("").find("Bearer") == 0);
    CHECK(u.body.find("\"error\":\"unauthorized\"") != std::string::npos);
    CHECK(service::forbidden().status == 403);
}
