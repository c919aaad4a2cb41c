#include "oura/store/documents.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "oura/core/json.hpp"
#include "oura/store/projections.hpp"
#include "statement.hpp"

namespace oura::store {
namespace {

// One round trip per page: the page goes in as a JSON array; duplicates inside it (padded windows
// overlap) keep the last copy; the hash guard leaves unchanged rows alone. day/start_at/end_at are
// read leniently (migration 0008) so one malformed value costs nothing but its own column; the
// last column names what could not be read, for the report. A day or start that is missing counts
// (every dated Oura document has both); a missing or null end does not (an ongoing rest mode or
// tag has none).
constexpr Statement upsert_document_page{"upsert_document_page", R"sql(
    WITH incoming AS (
        SELECT DISTINCT ON (k.id) k.id AS document_id, doc AS payload,
               oura.lenient_day(CASE WHEN jsonb_typeof(doc->$4::text) = 'string' THEN doc->>$4::text END) AS day,
               oura.lenient_instant(CASE WHEN jsonb_typeof(doc->$5::text) = 'string' THEN doc->>$5::text END) AS start_at,
               oura.lenient_instant(CASE WHEN jsonb_typeof(doc->$6::text) = 'string' THEN doc->>$6::text END) AS end_at
          FROM jsonb_array_elements($3::jsonb) WITH ORDINALITY AS page(doc, ord),
               LATERAL (SELECT coalesce(doc->>'id', CASE WHEN $7::boolean
                        THEN 'sha256:' || encode(sha256(convert_to(doc::text, 'UTF8')), 'hex') END) AS id) k
         ORDER BY k.id, ord DESC
    ), written AS (
        INSERT INTO oura.oura_documents AS d
               (user_id, resource, document_id, day, start_at, end_at, payload, payload_sha256)
        SELECT $1, $2, document_id, day, start_at, end_at, payload, sha256(convert_to(payload::text, 'UTF8'))
          FROM incoming
        ON CONFLICT (user_id, resource, document_id) DO UPDATE
           SET payload = EXCLUDED.payload, payload_sha256 = EXCLUDED.payload_sha256, day = EXCLUDED.day,
               start_at = EXCLUDED.start_at, end_at = EXCLUDED.end_at, updated_at = now(), deleted_at = NULL
         WHERE d.payload_sha256 IS DISTINCT FROM EXCLUDED.payload_sha256 OR d.deleted_at IS NOT NULL
        RETURNING document_id, (xmax = 0) AS inserted
    )
    SELECT i.document_id, w.inserted,
           concat_ws('; ',
               CASE WHEN $4::text IS NOT NULL AND i.day IS NULL
                    THEN $4::text || CASE WHEN coalesce(jsonb_typeof(i.payload->$4::text), 'null') = 'null'
                                          THEN ' is missing' ELSE ' is not an ISO date' END END,
               CASE WHEN $5::text IS NOT NULL AND i.start_at IS NULL
                    THEN $5::text || CASE WHEN coalesce(jsonb_typeof(i.payload->$5::text), 'null') = 'null'
                                          THEN ' is missing' ELSE ' is not an ISO time with an offset' END END,
               CASE WHEN $6::text IS NOT NULL AND i.end_at IS NULL
                         AND coalesce(jsonb_typeof(i.payload->$6::text), 'null') <> 'null'
                    THEN $6::text || ' is not an ISO time with an offset' END)
      FROM incoming i LEFT JOIN written w USING (document_id)
)sql"};

constexpr Statement tombstone_documents{"tombstone_documents", R"sql(
    UPDATE oura.oura_documents SET deleted_at = now()
     WHERE user_id = $1 AND resource = $2 AND document_id = ANY($3::text[]) AND deleted_at IS NULL
    RETURNING document_id
)sql"};

constexpr Statement tombstone_missing_in_days{"tombstone_missing_in_days", R"sql(
    UPDATE oura.oura_documents SET deleted_at = now()
     WHERE user_id = $1 AND resource = $2 AND deleted_at IS NULL
       AND day BETWEEN $3::date AND $4::date AND NOT (document_id = ANY($5::text[]))
    RETURNING document_id
)sql"};

constexpr Statement tombstone_missing_all{"tombstone_missing_all", R"sql(
    UPDATE oura.oura_documents SET deleted_at = now()
     WHERE user_id = $1 AND resource = $2 AND deleted_at IS NULL AND NOT (document_id = ANY($3::text[]))
    RETURNING document_id
)sql"};

// Staging tables are per session; the prepared merges below refer to them, so they are created
// before the merges are first prepared on a connection, and never dropped.
constexpr Statement create_heart_rate_stage{"create_heart_rate_stage", R"sql(
    CREATE TEMP TABLE IF NOT EXISTS heart_rate_stage (ts text, source text, bpm text) ON COMMIT DELETE ROWS
)sql"};

// Every staged row was checked before COPY (is_instant_with_offset, integer_field), so the casts
// cannot fail.
constexpr Statement merge_heart_rate_stage{"merge_heart_rate_stage", R"sql(
    WITH written AS (
        INSERT INTO oura.heart_rate_samples AS h (user_id, ts, source, bpm)
        SELECT DISTINCT ON (ts::timestamptz, source) $1, ts::timestamptz, source, bpm::smallint
          FROM heart_rate_stage ORDER BY ts::timestamptz, source
        ON CONFLICT (user_id, ts, source) DO UPDATE SET bpm = EXCLUDED.bpm
         WHERE h.bpm IS DISTINCT FROM EXCLUDED.bpm
        RETURNING (xmax = 0) AS inserted
    )
    SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted),
           (SELECT count(DISTINCT (ts::timestamptz, source)) FROM heart_rate_stage)
      FROM written
)sql"};

constexpr Statement create_battery_stage{"create_battery_stage", R"sql(
    CREATE TEMP TABLE IF NOT EXISTS battery_stage (ts text, level text, charging text, in_charger text)
        ON COMMIT DELETE ROWS
)sql"};

constexpr Statement merge_battery_stage{"merge_battery_stage", R"sql(
    WITH written AS (
        INSERT INTO oura.ring_battery_levels AS b (user_id, ts, level, charging, in_charger)
        SELECT DISTINCT ON (ts::timestamptz) $1, ts::timestamptz, level::smallint,
               NULLIF(charging, '')::boolean, NULLIF(in_charger, '')::boolean
          FROM battery_stage ORDER BY ts::timestamptz
        ON CONFLICT (user_id, ts) DO UPDATE
           SET level = EXCLUDED.level, charging = EXCLUDED.charging, in_charger = EXCLUDED.in_charger
         WHERE (b.level, b.charging, b.in_charger) IS DISTINCT FROM (EXCLUDED.level, EXCLUDED.charging, EXCLUDED.in_charger)
        RETURNING (xmax = 0) AS inserted
    )
    SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted),
           (SELECT count(DISTINCT ts::timestamptz) FROM battery_stage)
      FROM written
)sql"};

constexpr Statement latest_heart_rate{"latest_heart_rate", R"sql(
    SELECT to_char(max(ts) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"')
      FROM oura.heart_rate_samples WHERE user_id = $1
)sql"};

constexpr Statement latest_battery_level{"latest_battery_level", R"sql(
    SELECT to_char(max(ts) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"')
      FROM oura.ring_battery_levels WHERE user_id = $1
)sql"};

// Reproject: the (user, resource) pairs to rebuild and their live documents, then those documents
// in keyset pages along the primary key, so each batch is an index range scan.
constexpr Statement count_live_documents{"count_live_documents", R"sql(
    SELECT user_id, resource, count(*)
      FROM oura.oura_documents
     WHERE deleted_at IS NULL AND ($1::bigint = 0 OR user_id = $1::bigint) AND resource = ANY($2::text[])
     GROUP BY user_id, resource ORDER BY user_id, resource
)sql"};

constexpr Statement live_document_batch{"live_document_batch", R"sql(
    SELECT document_id FROM oura.oura_documents
     WHERE user_id = $1 AND resource = $2 AND deleted_at IS NULL AND document_id > $3
     ORDER BY document_id LIMIT $4
)sql"};

constexpr Statement reproject_users{"reproject_users", R"sql(
    SELECT user_id FROM oura.users WHERE $1::bigint = 0 OR user_id = $1::bigint ORDER BY user_id
)sql"};

std::string join_json_array(const std::vector<std::string>& documents) {
    std::size_t size = 2;
    for (const auto& d : documents) size += d.size() + 1;
    std::string out;
    out.reserve(size);
    core::JsonWriter w(out);
    w.begin_array();
    for (const auto& d : documents) w.raw(d);  // documents as Oura sent them, already JSON
    w.end_array();
    return out;
}

const char* nullable(std::string_view field) { return field.empty() ? nullptr : field.data(); }

void project(pqxx::transaction_base& tx, long long user_id, std::string_view resource,
             const std::vector<std::string>& ids, bool remove) {
    if (ids.empty()) return;
    const auto* p = find_projection(resource);
    if (!p) return;
    auto statement = remove ? Statement{p->remove_name, p->remove_sql} : Statement{p->upsert_name, p->upsert_sql};
    exec_custom_plan(tx, statement, user_id, to_pg_array(ids));
}

std::string first_line(const char* what) {
    std::string s(what);
    return s.substr(0, s.find('\n'));
}

// Runs `work(sub)` in a subtransaction (a savepoint): on a data error (the value's fault, see
// is_data_error) the subtransaction is rolled back, the transaction stays usable and the error
// comes back; nullopt on success. Any other error — a lock timeout, a deadlock, a lost
// connection — is not the document's fault and propagates: the whole unit of work fails.
template <typename F>
std::optional<std::string> unless_data_error(pqxx::dbtransaction& tx, F&& work) {
    pqxx::subtransaction sub(tx, "projection");
    // libpqxx 6.4 issues a subtransaction's SAVEPOINT at its first exec() only, not at
    // exec_prepared: without this, a failing prepared statement would abort the whole transaction.
    sub.exec("");
    try {
        work(sub);
        sub.commit();
        return std::nullopt;
    } catch (const pqxx::sql_error& e) {
        if (!is_data_error(e.sqlstate())) throw;
        return first_line(e.what());
    }
}

// Projects the page in one statement; when that fails on a data error, each document on its own,
// so one malformed document costs only its own curated row, never the raw rows of the page.
void project_keeping_raw(pqxx::dbtransaction& tx, long long user_id, std::string_view resource,
                         const std::vector<std::string>& ids, WriteCounts& counts) {
    if (ids.empty() || !find_projection(resource)) return;
    if (!unless_data_error(tx, [&](pqxx::transaction_base& sub) { project(sub, user_id, resource, ids, false); }))
        return;
    for (const auto& id : ids) {
        auto error = unless_data_error(tx, [&](pqxx::transaction_base& sub) { project(sub, user_id, resource, {id}, false); });
        if (!error) continue;
        ++counts.projection_failures;
        counts.add_issue({std::string(resource), id, "projection failed: " + *error});
    }
}

std::vector<std::string> ids_of(const pqxx::result& r) {
    std::vector<std::string> ids;
    ids.reserve(r.size());
    for (const auto& row : r) ids.push_back(row[0].as<std::string>());
    return ids;
}

WriteCounts merge_counts(const pqxx::row& r, long long skipped) {
    WriteCounts c;
    c.inserted = r[0].as<long long>();
    c.updated = r[1].as<long long>();
    c.unchanged = r[2].as<long long>() - c.inserted - c.updated;
    c.skipped_samples = skipped;
    return c;
}


// A time-series field as the text COPY stages, or nullopt when the row must be skipped.
// Strings: as they are (sources), timestamps only when is_instant_with_offset. Numbers: integers in
// [lo, hi], fractions rounded half away from zero first; a number outside the range, a string
// where a number belongs, null or missing: nullopt.
std::optional<std::string> text_field(const rapidjson::Value& row, std::string_view key) {
    auto it = row.FindMember(rapidjson::Value(rapidjson::StringRef(key.data(), key.size())));
    if (it == row.MemberEnd() || !it->value.IsString()) return std::nullopt;
    return std::string(it->value.GetString(), it->value.GetStringLength());
}

std::optional<std::string> instant_field(const rapidjson::Value& row, std::string_view key) {
    auto text = text_field(row, key);
    if (!text || !is_instant_with_offset(*text)) return std::nullopt;
    return text;
}

std::optional<std::string> integer_field(const rapidjson::Value& row, std::string_view key, double lo, double hi) {
    auto it = row.FindMember(rapidjson::Value(rapidjson::StringRef(key.data(), key.size())));
    if (it == row.MemberEnd() || !it->value.IsNumber()) return std::nullopt;
    double v = it->value.IsInt64() ? static_cast<double>(it->value.GetInt64()) : std::round(it->value.GetDouble());
    if (!(v >= lo && v <= hi)) return std::nullopt;
    return std::to_string(static_cast<long long>(v));
}

// Booleans that Oura may leave out: empty means NULL; anything but true/false skips the row.
std::optional<std::string> optional_bool_field(const rapidjson::Value& row, std::string_view key) {
    auto it = row.FindMember(rapidjson::Value(rapidjson::StringRef(key.data(), key.size())));
    if (it == row.MemberEnd() || it->value.IsNull()) return std::string();
    if (!it->value.IsBool()) return std::nullopt;
    return std::string(it->value.GetBool() ? "true" : "false");
}

const rapidjson::Document* parse_object(const std::string& json, rapidjson::Document& doc) {
    doc.Parse(json.data(), json.size());
    return doc.HasParseError() || !doc.IsObject() ? nullptr : &doc;
}

}  // namespace

// Checked in C++ because a PL/pgSQL call per row
// costs ~20 µs and a user-year of heart rate is ~500k rows: YYYY-MM-DDThh:mm:ss[.f](Z|±hh:mm|±hhmm)
// with a real calendar date, year ≥ 1, hh ≤ 23, mm and ss ≤ 59, 1-9 fraction digits, an offset up
// to ±14:59. What passes casts to timestamptz without an error and without the session's zone.
bool is_instant_with_offset(std::string_view s) {
    auto num = [&](std::size_t pos, std::size_t n, int& out) {
        out = 0;
        if (pos + n > s.size()) return false;
        for (std::size_t i = pos; i < pos + n; ++i) {
            if (s[i] < '0' || s[i] > '9') return false;
            out = out * 10 + (s[i] - '0');
        }
        return true;
    };
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0;
    if (s.size() < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':') return false;
    if (!num(0, 4, y) || !num(5, 2, mo) || !num(8, 2, d) || !num(11, 2, h) || !num(14, 2, mi) || !num(17, 2, se))
        return false;
    if (y < 1 || h > 23 || mi > 59 || se > 59) return false;
    if (!std::chrono::year_month_day{std::chrono::year{y}, std::chrono::month{static_cast<unsigned>(mo)},
                                     std::chrono::day{static_cast<unsigned>(d)}}
             .ok())
        return false;
    std::size_t pos = 19;
    if (s[pos] == '.') {
        auto start = ++pos;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
        if (pos == start || pos - start > 9) return false;
    }
    auto zone = s.substr(pos);
    if (zone == "Z") return true;
    const bool colon = zone.size() == 6;
    if ((zone.size() != 6 && zone.size() != 5) || (zone[0] != '+' && zone[0] != '-') || (colon && zone[3] != ':'))
        return false;
    int oh = 0, om = 0;
    return num(pos + 1, 2, oh) && num(pos + (colon ? 4 : 3), 2, om) && oh <= 14 && om <= 59;
}

std::string to_pg_array(const std::vector<std::string>& values) {
    std::string out = "{";
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (i) out.push_back(',');
        out.push_back('"');
        for (char c : values[i]) {
            if (c == '"' || c == '\\') out.push_back('\\');
            out.push_back(c);
        }
        out.push_back('"');
    }
    out.push_back('}');
    return out;
}

WriteCounts upsert_documents(pqxx::work& tx, long long user_id, std::string_view resource, const DocumentShape& shape,
                             const std::vector<std::string>& documents, std::vector<std::string>* ids) {
    WriteCounts counts;
    if (documents.empty()) return counts;
    auto r = exec(tx, upsert_document_page, user_id, std::string(resource), join_json_array(documents),
                  nullable(shape.day_field), nullable(shape.start_field), nullable(shape.end_field), shape.key_by_hash);
    std::vector<std::string> changed;
    for (const auto& row : r) {
        auto id = row[0].as<std::string>();
        if (ids) ids->push_back(id);
        if (row[1].is_null()) {
            ++counts.unchanged;
            continue;
        }
        (row[1].as<bool>() ? counts.inserted : counts.updated) += 1;
        // Reported once, when written: an unchanged copy of it on the next poll is not news.
        if (auto problem = row[2].as<std::string>(); !problem.empty()) {
            ++counts.malformed_documents;
            counts.add_issue({std::string(resource), id, problem});
        }
        changed.push_back(std::move(id));
    }
    project_keeping_raw(tx, user_id, resource, changed, counts);
    return counts;
}

WriteCounts delete_documents(pqxx::work& tx, long long user_id, std::string_view resource,
                             const std::vector<std::string>& document_ids) {
    WriteCounts counts;
    if (document_ids.empty()) return counts;
    auto gone = ids_of(exec(tx, tombstone_documents, user_id, std::string(resource), to_pg_array(document_ids)));
    project(tx, user_id, resource, gone, true);
    counts.deleted = static_cast<long long>(gone.size());
    return counts;
}

WriteCounts delete_missing(pqxx::work& tx, long long user_id, std::string_view resource, const std::string& from_day,
                           const std::string& to_day, const std::vector<std::string>& seen) {
    pqxx::result r = from_day.empty()
                         ? exec(tx, tombstone_missing_all, user_id, std::string(resource), to_pg_array(seen))
                         : exec(tx, tombstone_missing_in_days, user_id, std::string(resource), from_day, to_day,
                                to_pg_array(seen));
    auto gone = ids_of(r);
    project(tx, user_id, resource, gone, true);
    WriteCounts counts;
    counts.deleted = static_cast<long long>(gone.size());
    return counts;
}

WriteCounts upsert_heart_rate(pqxx::work& tx, long long user_id, const std::vector<std::string>& rows) {
    if (rows.empty()) return {};
    exec(tx, create_heart_rate_stage);
    long long skipped = 0;
    {
        pqxx::stream_to stage(tx, "heart_rate_stage", std::vector<std::string>{"ts", "source", "bpm"});
        rapidjson::Document doc;
        for (const auto& json : rows) {
            const auto* row = parse_object(json, doc);
            auto ts = row ? instant_field(*row, "timestamp") : std::nullopt;
            auto source = row ? text_field(*row, "source") : std::nullopt;
            auto bpm = row ? integer_field(*row, "bpm", 0, 32767) : std::nullopt;
            if (!ts || !source || !bpm) {
                ++skipped;
                continue;
            }
            stage << std::make_tuple(*ts, *source, *bpm);
        }
        stage.complete();
    }
    return merge_counts(exec1(tx, merge_heart_rate_stage, user_id), skipped);
}

WriteCounts upsert_battery_levels(pqxx::work& tx, long long user_id, const std::vector<std::string>& rows) {
    if (rows.empty()) return {};
    exec(tx, create_battery_stage);
    long long skipped = 0;
    {
        pqxx::stream_to stage(tx, "battery_stage", std::vector<std::string>{"ts", "level", "charging", "in_charger"});
        rapidjson::Document doc;
        for (const auto& json : rows) {
            const auto* row = parse_object(json, doc);
            auto ts = row ? instant_field(*row, "timestamp") : std::nullopt;
            auto level = row ? integer_field(*row, "level", 0, 32767) : std::nullopt;
            auto charging = row ? optional_bool_field(*row, "charging") : std::nullopt;
            auto in_charger = row ? optional_bool_field(*row, "in_charger") : std::nullopt;
            if (!ts || !level || !charging || !in_charger) {
                ++skipped;
                continue;
            }
            stage << std::make_tuple(*ts, *level, *charging, *in_charger);
        }
        stage.complete();
    }
    return merge_counts(exec1(tx, merge_battery_stage, user_id), skipped);
}

std::optional<std::string> latest_sample(pqxx::transaction_base& tx, long long user_id, std::string_view resource) {
    auto r = exec1(tx, resource == "heartrate" ? latest_heart_rate : latest_battery_level, user_id);
    if (r[0].is_null()) return std::nullopt;
    return r[0].as<std::string>();
}

ReprojectReport reproject(Pool& pool, const ReprojectOptions& options) {
    ReprojectReport report;
    std::vector<std::string> resources;
    for (const auto& p : projections())
        if (options.resource.empty() || p.resource == options.resource) resources.emplace_back(p.resource);
    report.resources = resources;
    if (resources.empty()) return report;
    const auto batch = static_cast<long long>(std::max<std::size_t>(options.batch_size, 1));

    struct Work {
        long long user_id;
        std::string resource;
    };
    std::vector<Work> work;
    long long total = 0;
    std::vector<long long> users;
    pool.transact([&](Transaction& tx) {
        for (const auto& r : exec(tx, count_live_documents, options.user_id, to_pg_array(resources))) {
            work.push_back({r[0].as<long long>(), r[1].as<std::string>()});
            total += r[2].as<long long>();
        }
        for (const auto& r : exec(tx, reproject_users, options.user_id)) users.push_back(r[0].as<long long>());
    });
    if (options.progress) options.progress(0, total);

    for (const auto& w : work) {
        std::string after;  // keyset cursor: the last document id done
        for (;;) {
            std::string last;
            auto counts = pool.transact([&](Transaction& tx) {
                WriteCounts c;  // may run twice (a lost connection): nothing outside it changes here
                auto ids = ids_of(exec(tx, live_document_batch, w.user_id, w.resource, after, batch));
                last = ids.empty() ? after : ids.back();
                c.inserted = static_cast<long long>(ids.size());  // documents in this batch
                project_keeping_raw(tx, w.user_id, w.resource, ids, c);
                return c;
            });
            after = last;
            report.documents += counts.inserted;
            report.failed += counts.projection_failures;
            if (counts.projection_failures) report.failed_by_resource[w.resource] += counts.projection_failures;
            for (auto& i : counts.issues)
                if (report.failures.size() < WriteCounts::max_issues) report.failures.push_back(std::move(i));
            if (options.progress) options.progress(report.documents, total);
            if (counts.inserted < batch) break;
        }
    }
    // Curated rows whose document was deleted or never was (a changed mapping): one statement per
    // user and resource, each bounded by one user's rows.
    // A data error here (the statement reads the payloads of live documents, a malformed one among
    // them) leaves that user's stale rows of the resource in place and is reported.
    for (const auto& resource : resources) {
        const auto* p = find_projection(resource);
        for (auto uid : users) {
            auto error = pool.transact([&](Transaction& tx) {
                return unless_data_error(tx, [&](pqxx::transaction_base& sub) {
                    exec_custom_plan(sub, Statement{p->remove_all_name, p->remove_all_sql}, uid);
                });
            });
            if (error)
                report.cleanup_errors.push_back(resource + " of user " + std::to_string(uid) +
                                                ": removing rows of documents no longer live failed: " + *error);
        }
    }
    return report;
}

}  // namespace oura::store
