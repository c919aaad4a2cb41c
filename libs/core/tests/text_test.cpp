#include "oura/core/text.hpp"

#include <catch2/catch.hpp>
#include <limits>

using namespace oura::core;

TEST_CASE("parse_int reads whole integers within bounds and nothing else", "[unit][text]") {
    CHECK(parse_int("42", 0, 100) == 42);
    CHECK(parse_int("-1", -5, 5) == -1);
    CHECK_FALSE(parse_int("-1", 0, 5));
    CHECK_FALSE(parse_int("101", 0, 100));
    CHECK_FALSE(parse_int("99999999999999999999", 0, std::numeric_limits<std::int64_t>::max()));
    CHECK_FALSE(parse_int("1e9", 0, std::numeric_limits<std::int64_t>::max()));
    CHECK_FALSE(parse_int("", 0, 100));
    CHECK_FALSE(parse_int("12abc", 0, 100));
    CHECK_FALSE(parse_int(" 12", 0, 100));
    CHECK_FALSE(parse_int("+12", 0, 100));
}

TEST_CASE("parse_capped turns a huge count into the cap and refuses negatives and garbage", "[unit][text]") {
    CHECK(parse_capped("30", 3600) == 30);
    CHECK(parse_capped("0", 3600) == 0);
    CHECK(parse_capped("3601", 3600) == 3600);
    CHECK(parse_capped("99999999999999999999", 3600) == 3600);
    CHECK_FALSE(parse_capped("-1", 3600));
    CHECK_FALSE(parse_capped("1e9", 3600));
    CHECK_FALSE(parse_capped("", 3600));
    CHECK_FALSE(parse_capped("soon", 3600));
}

TEST_CASE("split_list trims items and drops empty ones", "[unit][text]") {
    CHECK(split_list("sleep, heartrate,,spo2 ") == std::vector<std::string>{"sleep", "heartrate", "spo2"});
    CHECK(split_list("").empty());
    CHECK(split_list(" , ").empty());
    CHECK(split_list("daily heartrate+spo2,email", " ,+") ==
          std::vector<std::string>{"daily", "heartrate", "spo2", "email"});
    CHECK(trim(" \tx y\t ") == "x y");
}
