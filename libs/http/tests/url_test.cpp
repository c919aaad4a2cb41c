#include <catch2/catch.hpp>

#include "oura/http/client.hpp"

using namespace oura::http;

TEST_CASE("URLs with names and IPv4 and bracketed IPv6 hosts are parsed", "[unit][http]") {
    auto u = parse_url("http://[::1]:8080/v2/x?y=1");
    REQUIRE(u);
    CHECK(u->host == "::1");
    CHECK(u->port == 8080);
    CHECK(u->target == "/v2/x?y=1");
    CHECK(u->origin() == "http://[::1]:8080");
    CHECK(u->authority() == "[::1]:8080");

    auto v = parse_url("https://[2001:db8::7]");
    REQUIRE(v);
    CHECK(v->host == "2001:db8::7");
    CHECK(v->port == 443);
    CHECK(v->origin() == "https://[2001:db8::7]");

    auto n = parse_url("http://api.example.com:81?q");
    REQUIRE(n);
    CHECK(n->host == "api.example.com");
    CHECK(n->port == 81);
    CHECK(n->target == "/?q");
    CHECK(parse_url("https://127.0.0.1/")->origin() == "https://127.0.0.1");
}

TEST_CASE("malformed authorities are refused", "[unit][http]") {
    for (const char* url :
         {"http://::1:8080/", "http://[::1/", "http://[::1]x/", "http://[nothost]:80/", "http://host:0/",
          "http://host:65536/", "http://host:99999999999999999999/", "http://host:-1/", "http://host:/",
          "http://user@host/", "http://:80/", "ftp://host/", "http:///x"}) {
        INFO(url);
        CHECK_FALSE(parse_url(url));
    }
}
