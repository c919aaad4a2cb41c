#pragma once
// The write path every ingestion path shares: raw documents into oura.oura_documents (lossless,
// hash-guarded), curated projections in the same transaction, time series through COPY, and
// tombstones for deletions.

#include <pqxx/pqxx>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace oura::store {

struct WriteCounts {
    long long inserted = 0;
    long long updated = 0;
    long long unchanged = 0;
    long long deleted = 0;
    // Documents stored raw whose curated projection failed (their fields did not cast); the raw
    // rows are kept so `reproject` can rebuild them once the mapping is fixed.
    long long projection_failures = 0;
    std::string projection_error;  // the first failure's message
    WriteCounts& operator+=(const WriteCounts& o) {
        inserted += o.inserted;
        updated += o.updated;
        unchanged += o.unchanged;
        deleted += o.deleted;
        projection_failures += o.projection_failures;
        if (projection_error.empty()) projection_error = o.projection_error;
        return *this;
    }
};

// Which payload fields give a document's day and time span (empty: none).
struct DocumentShape {
    std::string_view day_field;    // "day" / "start_day"
    std::string_view start_field;  // "bedtime_start" / "start_datetime" / "start_time" / "timestamp"
    std::string_view end_field;
    // Collections found only by discovery may hold documents without an "id": those are keyed
    // "sha256:<hex>" of their jsonb text (canonical, so the same document always gets the same key).
    bool key_by_hash = false;
};

// Upserts a page of documents (each a JSON object with an "id") of one user and resource;
// unchanged payloads are not rewritten; changed and new ones are projected into the curated
// tables in the same transaction. A document without an id fails the statement (every catalogued
// Oura document has one) unless shape.key_by_hash; the caller's transaction then rolls back. A
// document whose projection fails is still stored raw and counted in projection_failures (each
// projection runs in a savepoint).
// When `ids` is given, every document id of the page is appended to it (changed or not).
WriteCounts upsert_documents(pqxx::work& tx, long long user_id, std::string_view resource, const DocumentShape& shape,
                             const std::vector<std::string>& documents, std::vector<std::string>* ids = nullptr);

// Tombstones the documents and removes their curated rows. Unknown ids are ignored.
WriteCounts delete_documents(pqxx::work& tx, long long user_id, std::string_view resource,
                             const std::vector<std::string>& document_ids);

// Reconciliation: live documents of the resource whose day lies in [from, to] (ISO dates) — or,
// when from/to are empty, every live document — and whose id is not in `seen` are tombstoned.
WriteCounts delete_missing(pqxx::work& tx, long long user_id, std::string_view resource, const std::string& from_day,
                           const std::string& to_day, const std::vector<std::string>& seen);

// heartrate rows ({timestamp, bpm, source}) and ring_battery_level rows ({timestamp, level,
// charging, in_charger}) through COPY into a staging table, then one upsert.
WriteCounts upsert_heart_rate(pqxx::work& tx, long long user_id, const std::vector<std::string>& rows);
WriteCounts upsert_battery_levels(pqxx::work& tx, long long user_id, const std::vector<std::string>& rows);

// Newest stored sample of a time series ("heartrate" / "ring_battery_level"), ISO UTC, or nullopt.
std::optional<std::string> latest_sample(pqxx::connection& conn, long long user_id, std::string_view resource);

// Rebuilds the curated rows of `resource` (or every projected resource when empty) for one user
// (or all users when user_id is 0) from the raw documents. Returns the resources rebuilt.
std::vector<std::string> reproject(pqxx::work& tx, long long user_id, std::string_view resource);

// A Postgres text[] literal of `values` ({"a","b"}), for array parameters.
std::string to_pg_array(const std::vector<std::string>& values);

}  // namespace oura::store
