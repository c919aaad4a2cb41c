#include <catch2/catch.hpp>

#include "oura/http/client.hpp"
#include "oura/http/message.hpp"

using namespace oura::http;

TEST_CASE("query strings decode percent escapes and plus signs", "[unit][http]") {
    Request r;
    r.target = "/v2/usercollection/heartrate?start_datetime=2024-01-01T00%3A00%3A00%2B02%3A00&x=a+b&flag";
    CHECK(r.path() == "/v2/usercollection/heartrate");
    CHECK(r.query("start_datetime") == "2024-01-01T00:00:00+02:00");
    CHECK(r.query("x") == "a b");
    CHECK(r.query("flag") == "");
    CHECK_FALSE(r.query("missing"));
}

TEST_CASE("an encoded query round-trips, including a literal plus", "[unit][http]") {
    auto q = build_query({{"start_datetime", "2024-01-01T00:00:00+02:00"}, {"next_token", "a/b=="}});
    CHECK(q == "start_datetime=2024-01-01T00%3A00%3A00%2B02%3A00&next_token=a%2Fb%3D%3D");
    auto back = parse_query(q);
    CHECK(back[0].second == "2024-01-01T00:00:00+02:00");
    CHECK(back[1].second == "a/b==");
}

TEST_CASE("header names compare without case", "[unit][http]") {
    Headers h;
    h.add("X-Oura-Signature", "AB");
    CHECK(h.get("x-oura-signature") == "AB");
    h.set("x-oura-signature", "CD");
    CHECK(h.fields().size() == 1);
    CHECK(h.get("X-OURA-SIGNATURE") == "CD");
}

TEST_CASE("URLs split into scheme, host, port and target", "[unit][http]") {
    auto u = parse_url("https://api.ouraring.com/v2/usercollection/sleep?start_date=2024-01-01");
    REQUIRE(u);
    CHECK(u->tls());
    CHECK(u->host == "api.ouraring.com");
    CHECK(u->port == 443);
    CHECK(u->target == "/v2/usercollection/sleep?start_date=2024-01-01");
    auto s = parse_url("http://127.0.0.1:8080");
    REQUIRE(s);
    CHECK(s->port == 8080);
    CHECK(s->target == "/");
    CHECK(s->origin() == "http://127.0.0.1:8080");
    CHECK_FALSE(parse_url("ftp://x"));
    CHECK_FALSE(parse_url("http://user:pw@host/"));
    CHECK_FALSE(parse_url("http://host:99999/"));
}
