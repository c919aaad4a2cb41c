#include "oura/api/page.hpp"

#include <catch2/catch.hpp>

#include "oura/api/errors.hpp"

using namespace oura::api;

namespace {
ErrorKind kind_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const api_error& e) {
        return e.kind();
    }
    FAIL("no api_error");
    return ErrorKind::network;
}
}  // namespace

TEST_CASE("a page yields each document as compact JSON with fields in Oura's order", "[unit][api]") {
    auto p = parse_page(*find_resource("daily_readiness"), R"({
        "data": [ {"id": "a", "score": 81, "temperature_deviation": -0.12, "contributors": {"hrv_balance": null}},
                  {"id": "b", "day": "2024-01-02", "score": 7.25e1, "zeta": 1, "alpha": 2} ],
        "next_token": "tok=="})");
    REQUIRE(p.page.items.size() == 2);
    CHECK(p.page.items[0] ==
          R"({"id":"a","score":81,"temperature_deviation":-0.12,"contributors":{"hrv_balance":null}})");
    CHECK(p.page.items[1] == R"({"id":"b","day":"2024-01-02","score":7.25e1,"zeta":1,"alpha":2})");
    CHECK(p.next_token == "tok==");
}

TEST_CASE("the last page has a null, empty or absent next_token", "[unit][api]") {
    const auto& hr = *find_resource("heartrate");
    CHECK_FALSE(parse_page(hr, R"({"data":[],"next_token":null})").next_token);
    CHECK_FALSE(parse_page(hr, R"({"data":[]})").next_token);
    CHECK_FALSE(parse_page(hr, R"({"data":[],"next_token":""})").next_token);
}

TEST_CASE("numbers keep their exact values", "[unit][api]") {
    auto p = parse_page(*find_resource("heartrate"),
                        R"({"data":[{"bpm":61,"timestamp_unix":1717200000123,"x":0.1,"y":123456789.123456789}]})");
    CHECK(p.page.items[0] == R"({"bpm":61,"timestamp_unix":1717200000123,"x":0.1,"y":123456789.123456789})");
}

TEST_CASE("large integers, long decimals and exponents come out exactly as Oura wrote them", "[unit][api]") {
    // 2^63 - 1, 2^63, 2^64 and far beyond: a double or an int64 would change every one of them.
    const std::string item =
        R"({"id":"n","max":9223372036854775807,"over":9223372036854775808,"u64":18446744073709551616,)"
        R"("huge":-123456789012345678901234567890,"long":0.1000000000000000055511151231257827,)"
        R"("exp":6.02214076e23,"tiny":1.5E-300,"neg_exp":-2.5e-7,"nested":{"list":[1.10,2.000,[3e2]]}})";
    auto p = parse_page(*find_resource("daily_readiness"), R"({"data": [ )" + item + R"( ], "next_token": null})");
    REQUIRE(p.page.items.size() == 1);
    CHECK(p.page.items[0] == item);
    CHECK(parse_document(" " + item + "\n") == item);
    CHECK(parse_page(*find_resource("personal_info"), item).page.items[0] == item);
}

TEST_CASE("members around the data array do not disturb the split", "[unit][api]") {
    auto p =
        parse_page(*find_resource("sleep"),
                   R"({"meta":{"data":[{"x":1}]},"data":[{"id":"a","data":[{"id":"inner"}]}],"next_token":"t\u0041"})");
    REQUIRE(p.page.items.size() == 1);
    CHECK(p.page.items[0] == R"({"id":"a","data":[{"id":"inner"}]})");
    CHECK(p.next_token == "tA");
}

TEST_CASE("a truncated or malformed page is a bad response", "[unit][api]") {
    const auto& sleep = *find_resource("sleep");
    CHECK(kind_of([&] { parse_page(sleep, R"({"data":[{"id":"a"},{"id":)"); }) == ErrorKind::bad_response);
    CHECK(kind_of([&] { parse_page(sleep, ""); }) == ErrorKind::bad_response);
    CHECK(kind_of([&] { parse_page(sleep, "<html>504</html>"); }) == ErrorKind::bad_response);
    CHECK(kind_of([&] { parse_page(sleep, R"({"next_token":null})"); }) == ErrorKind::bad_response);
    CHECK(kind_of([&] { parse_page(sleep, R"({"data":[1,2]})"); }) == ErrorKind::bad_response);
    CHECK(kind_of([&] { parse_page(sleep, R"({"data":[],"next_token":5})"); }) == ErrorKind::bad_response);
    CHECK(kind_of([&] { parse_page(sleep, "{\"data\":[{\"id\":\"\xff\"}]}"); }) == ErrorKind::bad_response);
    CHECK(kind_of([&] { parse_page(sleep, R"({"data":[]} trailing)"); }) == ErrorKind::bad_response);
    CHECK(kind_of([&] { parse_page(sleep, R"([{"id":"a"}])"); }) == ErrorKind::bad_response);
    CHECK(kind_of([&] { parse_page(sleep, R"({"data":{"id":"a"}})"); }) == ErrorKind::bad_response);
    CHECK(kind_of([&] { parse_page(sleep, R"({"data":[{"id":"a"}],"next_token":["x"]})"); }) ==
          ErrorKind::bad_response);
}

TEST_CASE("personal_info is one page holding the bare object", "[unit][api]") {
    auto p = parse_page(*find_resource("personal_info"), R"({"id":"u-1","age":40,"email":null})");
    REQUIRE(p.page.items.size() == 1);
    CHECK(p.page.items[0] == R"({"id":"u-1","age":40,"email":null})");
    CHECK_FALSE(p.next_token);
    CHECK(parse_document(R"( {"id":"x"} )") == R"({"id":"x"})");
    CHECK(kind_of([] { parse_document("[]"); }) == ErrorKind::bad_response);
}
