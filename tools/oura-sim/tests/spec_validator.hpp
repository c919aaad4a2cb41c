#pragma once
// Checks JSON documents against the schemas of an OpenAPI document (the subset of JSON Schema the
// Oura spec uses), stricter than JSON Schema in one way: a property the schema does not list is an
// error, because the simulator must use the spec's field names exactly.

#include <rapidjson/document.h>

#include <string>
#include <string_view>
#include <vector>

namespace oura::sim::spec {

// True in CI (environment CI=true), which has the spec in ../shared/oura: there a missing spec fails
// the conformance tests instead of skipping them with a warning that nobody reads.
bool spec_required();

// Parses the OpenAPI JSON file; throws std::runtime_error naming the path on a read or parse error.
rapidjson::Document load_spec(const std::string& path);

// Errors of `instance` against #/components/schemas/<schema_name>, each "<json path>: <what>";
// empty when it conforms. An unknown schema name is reported as an error, never thrown.
std::vector<std::string> validate(const rapidjson::Document& spec, std::string_view schema_name,
                                  const rapidjson::Value& instance);

}  // namespace oura::sim::spec
