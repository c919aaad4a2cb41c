#include "oura/core/json.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>

using namespace oura::core;

namespace {
const std::string awkward = "Ann \"the ring\" O'Neil\\\nsecond line\t\x01 ✓";
}

TEST_CASE("text with quotes and backslashes and newlines reads back unchanged from the JSON writer", "[unit][json]") {
    JsonWriter w;
    w.begin_object().field(awkward, awkward).key("list").begin_array().string(awkward).end_array().end_object();
    auto doc = parse_json(w.str());
    CHECK(*get_string(doc, awkward) == awkward);
    CHECK(std::string(doc["list"][0].GetString()) == awkward);
}

TEST_CASE("the error body carries any message as valid JSON", "[unit][json]") {
    auto doc = parse_json(error_body(awkward));
    CHECK(*get_string(doc, "detail") == awkward);
}

TEST_CASE("the JSON writer keeps numbers and booleans and null and never writes nan", "[unit][json]") {
    JsonWriter w;
    w.begin_object()
        .field("count", 9007199254740993LL)
        .field("negative", -3)
        .field("ratio", 0.25)
        .field("nan", std::nan(""))
        .field("inf", std::numeric_limits<double>::infinity())
        .field("yes", true)
        .key("nothing")
        .null()
        .end_object();
    auto doc = parse_json(w.str());
    CHECK(*get_int(doc, "count") == 9007199254740993LL);
    CHECK(*get_int(doc, "negative") == -3);
    CHECK(*get_double(doc, "ratio") == 0.25);
    CHECK(doc["nan"].IsNull());
    CHECK(doc["inf"].IsNull());
    CHECK(*get_bool(doc, "yes"));
    CHECK(doc["nothing"].IsNull());
}

TEST_CASE("a JSON writer appends to the caller's text and embeds raw documents", "[unit][json]") {
    std::string out = "[";
    {
        JsonWriter w(out);
        w.begin_object().key("doc").raw(R"({"id":"a","score":80})").end_object();
    }
    out += "]";
    auto doc = parse_json(out);
    CHECK(*get_int(doc[0]["doc"], "score") == 80);
}
