// The router alone: which handler answers, what the route label is, and what a client sees when
// nothing matches.
#include <catch2/catch.hpp>

#include <stdexcept>

#include "oura/service/router.hpp"

using namespace oura;
using service::PathParams;
using service::Router;

namespace {

http::Request request(std::string method, std::string target) {
    http::Request r;
    r.method = std::move(method);
    r.target = std::move(target);
    return r;
}

http::Response echo(std::string body) { return http::text_response(200, std::move(body)); }

}  // namespace

TEST_CASE("a path parameter is captured and the route is named by its pattern, not the path", "[unit][service]") {
    Router router;
    router.add("GET", "/api/users/{id}/sleep", [](const http::Request&, const PathParams& p) { return echo(p.at("id")); });
    auto routed = router.dispatch(request("GET", "/api/users/a%20b/sleep?start=2024-01-01"));
    CHECK(routed.response.status == 200);
    CHECK(routed.response.body == "a b");
    CHECK(routed.route == "/api/users/{id}/sleep");
}

TEST_CASE("literal routes win over later parameter routes and every unknown path shares one label", "[unit][service]") {
    Router router;
    router.add("GET", "/api/users/me", [](const http::Request&, const PathParams&) { return echo("me"); });
    router.add("GET", "/api/users/{id}", [](const http::Request&, const PathParams&) { return echo("other"); });
    CHECK(router.dispatch(request("GET", "/api/users/me")).response.body == "me");
    CHECK(router.dispatch(request("GET", "/api/users/42")).response.body == "other");
    auto missing = router.dispatch(request("GET", "/api/users/42/extra"));
    CHECK(missing.response.status == 404);
    CHECK(missing.route == service::unmatched_route);
    CHECK(router.dispatch(request("GET", "/api/users/")).response.status == 404);
}

TEST_CASE("a known path under another method is a 405 naming the allowed methods", "[unit][service]") {
    Router router;
    router.add("GET", "/webhook/oura", [](const http::Request&, const PathParams&) { return echo("challenge"); });
    router.add("POST", "/webhook/oura", [](const http::Request&, const PathParams&) { return echo("delivery"); });
    auto routed = router.dispatch(request("DELETE", "/webhook/oura"));
    CHECK(routed.response.status == 405);
    CHECK(routed.response.headers.get("Allow") == "GET, POST");
    CHECK(routed.route == "/webhook/oura");
    CHECK(router.dispatch(request("POST", "/webhook/oura")).response.body == "delivery");
}

TEST_CASE("a handler that throws is a 500 that hides the message and hands it to the log", "[unit][service]") {
    Router router;
    router.add("GET", "/boom", [](const http::Request&, const PathParams&) -> http::Response {
        throw std::runtime_error("password=hunter2 in a query");
    });
    auto routed = router.dispatch(request("GET", "/boom"));
    CHECK(routed.response.status == 500);
    CHECK(routed.response.body.find("hunter2") == std::string::npos);
    CHECK(routed.error == "password=hunter2 in a query");
}

TEST_CASE("malformed route patterns are refused when added", "[unit][service]") {
    Router router;
    auto h = [](const http::Request&, const PathParams&) { return echo(""); };
    CHECK_THROWS_AS(router.add("GET", "api/x", h), std::invalid_argument);
    CHECK_THROWS_AS(router.add("GET", "/api/{id", h), std::invalid_argument);
    CHECK_THROWS_AS(router.add("GET", "/api/{}", h), std::invalid_argument);
}
