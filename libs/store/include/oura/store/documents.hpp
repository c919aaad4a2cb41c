#pragma once
// The write path every ingestion path shares: raw documents into oura.oura_documents (lossless,
// hash-guarded), curated projections in the same transaction, time series through COPY, and
// tombstones for deletions.

#include <pqxx/pqxx>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "oura/store/database.hpp"

namespace oura::store {

// One document stored raw that a reader of the curated tables will miss or find incomplete.
struct DocumentIssue {
    std::string resource;
    std::string document_id;
    std::string problem;  // e.g. "day is not an ISO date", or the database's message for a failed projection
};

struct WriteCounts {
    long long inserted = 0;
    long long updated = 0;
    long long unchanged = 0;
    long long deleted = 0;
    // Documents stored raw whose curated projection failed (their fields did not cast); the raw
    // rows are kept so `reproject` can rebuild them once the mapping is fixed.
    long long projection_failures = 0;  // each named in `issues`
    // Documents stored raw whose day, start or end could not be read (stored NULL, payload intact).
    long long malformed_documents = 0;
    // Time-series rows not stored: a null, missing or non-numeric value, or a timestamp that is not
    // ISO 8601 with an offset. The other rows of the batch are stored.
    long long skipped_samples = 0;
    // Each malformed or unprojected document, at most max_issues of them (the counts are complete).
    std::vector<DocumentIssue> issues;
    static constexpr std::size_t max_issues = 50;

    void add_issue(DocumentIssue issue) {
        if (issues.size() < max_issues) issues.push_back(std::move(issue));
    }
    WriteCounts& operator+=(const WriteCounts& o) {
        inserted += o.inserted;
        updated += o.updated;
        unchanged += o.unchanged;
        deleted += o.deleted;
        projection_failures += o.projection_failures;
        malformed_documents += o.malformed_documents;
        skipped_samples += o.skipped_samples;
        for (const auto& i : o.issues) add_issue(i);
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
// Oura document has one) unless shape.key_by_hash; the caller's transaction then rolls back. The
// payload is stored as sent; its day/start/end columns are read leniently: a value that is not
// ISO 8601 (a time without an offset included) is stored NULL and the document counted in
// malformed_documents. A document whose projection fails with a data error (SQLSTATE class 22 or
// 23514) is still stored raw and counted in projection_failures (each projection runs in a
// subtransaction); any other database error fails the whole page (retryable_error through
// Pool::transact when retrying may cure it).
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
// charging, in_charger}) through COPY into a staging table, then one upsert. A row whose timestamp
// is not ISO 8601 with an offset, or whose bpm/level/source is null, missing or not a number (a
// string), is skipped and counted in skipped_samples; a fractional number is rounded to the
// nearest integer (halves away from zero), one outside the column's range is skipped.
WriteCounts upsert_heart_rate(pqxx::work& tx, long long user_id, const std::vector<std::string>& rows);
WriteCounts upsert_battery_levels(pqxx::work& tx, long long user_id, const std::vector<std::string>& rows);

// Newest stored sample of a time series ("heartrate" / "ring_battery_level"), ISO UTC, or nullopt.
std::optional<std::string> latest_sample(pqxx::transaction_base& tx, long long user_id, std::string_view resource);

struct ReprojectOptions {
    long long user_id = 0;       // 0: every user
    std::string resource;        // empty: every projected resource
    std::size_t batch_size = 1000;  // documents per transaction
    // Told after each batch: documents done so far and the total to do.
    std::function<void(long long done, long long total)> progress;
};

struct ReprojectReport {
    long long documents = 0;  // live documents reprojected (failed ones included)
    long long failed = 0;     // documents whose projection failed with a data error; their raw rows stay
    std::vector<std::string> resources;              // the resources rebuilt
    std::map<std::string, long long> failed_by_resource;
    std::vector<DocumentIssue> failures;             // the first WriteCounts::max_issues of them
    std::vector<std::string> cleanup_errors;          // stale-row removals that failed on a data error
};

// Rebuilds the curated rows from the raw documents (after a mapping change), for one user or all,
// one resource or every projected one: each document projected like the write path does (a data
// error costs only that document), in batches of batch_size documents, each batch its own
// transaction, so no transaction grows with the database. Then curated rows whose document is no
// longer live are removed (one statement per user and resource; a data error there is reported in
// cleanup_errors). Throws retryable_error or
// pqxx errors for failures that are not the data's; batches committed before stay committed.
ReprojectReport reproject(Pool& pool, const ReprojectOptions& options);

// The rule of oura.lenient_instant (migration 0008) for one string: ISO 8601 with 'T', a real
// date, an explicit offset. The time series check their timestamps with it before COPY.
bool is_instant_with_offset(std::string_view text);

// A Postgres text[] literal of `values` ({"a","b"}), for array parameters.
std::string to_pg_array(const std::vector<std::string>& values);

}  // namespace oura::store
