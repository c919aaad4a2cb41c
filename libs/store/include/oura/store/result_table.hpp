#pragma once
// Rows as plain values for the read paths (the read API, export, user SQL): column names with the
// kind of value each holds, and every cell as PostgreSQL's text form (nullopt for NULL). The
// services render them as JSON, CSV or NDJSON without seeing libpq or libpqxx.

#include <optional>
#include <string>
#include <vector>

namespace oura::store {

// How a column's text is meant: numbers and booleans are written unquoted in JSON, times are
// ISO 8601 instants, everything else is a string.
enum class ValueKind { string, number, boolean, time };

struct ResultColumn {
    std::string name;
    ValueKind kind = ValueKind::string;
};

using Row = std::vector<std::optional<std::string>>;

struct ResultTable {
    std::vector<ResultColumn> columns;
    std::vector<Row> rows;
};

// The kind of a PostgreSQL type oid (int2/4/8, oid, float4/8, numeric → number; bool; date,
// timestamp, timestamptz → time; anything else string).
ValueKind kind_of_type(unsigned oid);
std::string_view kind_name(ValueKind kind);  // "number", "string", "boolean", "time"

}  // namespace oura::store
