#pragma once
// Curated projections: how raw oura.oura_documents rows become rows of the curated tables
// (daily_summaries, sleep_episodes + sleep_samples, workouts, ...). The mapping is data: one
// Mapping per resource with one Column per curated column (projections.cpp); the SQL is generated
// from it. docs/data-model.md describes the mapping; libs/store/tests/projections.golden.sql shows
// the generated SQL.

#include <span>
#include <string_view>

namespace oura::store {

// How a payload value becomes a column value. Integer casts are strict: 85.5 for a score fails
// the statement rather than being rounded (the raw document is kept either way).
enum class Cast {
    text,         // the value as text
    smallint,
    integer,
    float8,       // double precision: every number Oura does not promise to be an integer
    boolean,
    date,
    instant,      // LocalizedDateTime -> timestamptz; NULL when it has no offset (oura.parse_localized)
    utc_instant,  // UtcDateTime -> timestamptz; no offset means UTC (oura.parse_utc)
    utc_offset,   // the offset written in a date-time, minutes east of UTC (oura.utc_offset_minutes)
    wall_time,    // the wall-clock date-time as written, offset dropped (oura.local_wall_time)
    samples,      // a PublicSample object -> its items as double precision[] (oura.sample_items)
    text_list,    // a JSON array of strings -> text[] in order; '{}' when it is not an array
    json_list,    // a JSON array kept as jsonb; '[]' when absent
};

// One curated column: its name, where it comes from in the payload ("contributors.hrv_balance":
// object keys separated by dots), how it is cast.
struct Column {
    std::string_view name;
    std::string_view path;
    Cast cast;
};

enum class Family {
    daily,     // merged into oura.daily_summaries (one row per user and day, keyed by the payload's
               // "day"): the newest live document of a day fills the resource's columns and id column
    document,  // one row per document in its own table, keyed by (user_id, document_id)
    user,      // one row per user, keyed by user_id: the newest live document (personal_info)
};

// What one resource's documents become.
struct Mapping {
    std::string_view resource;   // REST name, e.g. "daily_sleep", "vO2_max" (case matters)
    Family family;
    std::string_view table;      // curated table in schema oura
    std::string_view id_column;  // the column holding the source document id
    std::span<const Column> columns;
};

// How one resource's raw documents become curated rows: four statements, each one SQL statement,
// to be run in the transaction that wrote the raw rows so curated and raw never disagree after a
// commit. Every *_name is the statement's prepared name (also its metrics label).
struct Projection {
    std::string_view resource;
    // $1 bigint user_id, $2 text[] document ids (never NULL).
    std::string_view upsert_sql;   // upserts curated rows from those of the ids that are live; unchanged rows
                                   // are not rewritten. daily: a day one of the ids no longer belongs to
                                   // (deleted, or its day changed) is cleared as remove_sql would.
    std::string_view remove_sql;   // removes the curated rows derived from those documents, live or not.
                                   // daily: clears that resource's columns and id (another live document of
                                   // the day takes over if any); a day left with no source is deleted.
    std::string_view upsert_name;
    std::string_view remove_name;
    // $1 bigint user_id only: every document of the user (reproject). Separate statements, so the
    // generic plan of the by-ids ones never has to cover "all".
    std::string_view upsert_all_sql;  // upserts from every live document of the resource
    std::string_view remove_all_sql;  // removes the rows whose document is no longer live (or, daily, no
                                      // longer of that day)
    std::string_view upsert_all_name;
    std::string_view remove_all_name;
    const Mapping* mapping;
};

// One entry per projected resource, sorted by resource name. heartrate and ring_battery_level
// have none (the sync code writes their tables directly). A reproject of one user is, per entry,
// upsert_all_sql($1) then remove_all_sql($1), in one transaction. Built on first use; never throws
// after that.
std::span<const Projection> projections();

// The projection of a resource by its REST name; nullptr when the resource is stored raw only.
// Webhook data types must be mapped to REST names first (vo2_max -> vO2_max).
const Projection* find_projection(std::string_view resource);

// The column table the projections are generated from, sorted by resource (for tests and docs).
std::span<const Mapping> mappings();

}  // namespace oura::store
