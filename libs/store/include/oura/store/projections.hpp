#pragma once
// Curated projections: how raw oura.oura_documents rows become rows of the curated tables
// (daily_summaries, sleep_episodes + sleep_samples, workouts, ...). The SQL lives in
// projections.cpp as named constants; docs/data-model.md describes the mapping.

#include <span>
#include <string_view>

namespace oura::store {

// How one resource's raw documents become curated rows. Each direction is exactly one statement
// taking $1 bigint user_id and $2 text[] document ids; run it in the transaction that wrote the
// raw rows, so curated and raw never disagree after a commit.
struct Projection {
    std::string_view resource;     // REST name, e.g. "daily_sleep", "vO2_max" (case matters)
    std::string_view upsert_sql;   // $2 NULL = all the user's live documents of the resource. Upserts curated rows from
                                   // oura.oura_documents WHERE deleted_at IS NULL; idempotent, unchanged rows are not rewritten.
    std::string_view remove_sql;   // $2 = ids: removes the curated rows derived from those documents, live or not.
                                   // $2 NULL = removes the rows whose document is no longer live (deleted or gone).
                                   // daily_summaries: clears that resource's columns and *_id (another live document of
                                   // the day takes over if any); a day left with no source is deleted.
    std::string_view upsert_name;  // prepared-statement name of upsert_sql (also its metrics label)
    std::string_view remove_name;  // prepared-statement name of remove_sql
};

// One entry per projected resource, sorted by resource name. heartrate and ring_battery_level
// have none (the sync code writes their tables directly). A reproject of one user is, per entry,
// upsert_sql($1, NULL) then remove_sql($1, NULL), in one transaction.
std::span<const Projection> projections();

// The projection of a resource by its REST name; nullptr when the resource is stored raw only.
// Webhook data types must be mapped to REST names first (vo2_max -> vO2_max). Never throws.
const Projection* find_projection(std::string_view resource);

}  // namespace oura::store
