#include "oura/store/documents.hpp"

#include <stdexcept>

#include "oura/core/json.hpp"
#include "oura/store/projections.hpp"

namespace oura::store {
namespace {

// One round trip per page: the page goes in as a JSON array; duplicates inside it (padded windows
// overlap) keep the last copy; the hash guard leaves unchanged rows alone.
constexpr auto upsert_document_page = R"sql(
    WITH incoming AS (
        SELECT DISTINCT ON (k.id) k.id AS document_id, doc AS payload
          FROM jsonb_array_elements($3::jsonb) WITH ORDINALITY AS page(doc, ord),
               LATERAL (SELECT coalesce(doc->>'id', CASE WHEN $7::boolean
                        THEN 'sha256:' || encode(sha256(convert_to(doc::text, 'UTF8')), 'hex') END) AS id) k
         ORDER BY k.id, ord DESC
    ), written AS (
        INSERT INTO oura.oura_documents AS d
               (user_id, resource, document_id, day, start_at, end_at, payload, payload_sha256)
        SELECT $1, $2, document_id,
               left(payload->>$4::text, 10)::date,
               (payload->>$5::text)::timestamptz,
               (payload->>$6::text)::timestamptz,
               payload, sha256(convert_to(payload::text, 'UTF8'))
          FROM incoming
        ON CONFLICT (user_id, resource, document_id) DO UPDATE
           SET payload = EXCLUDED.payload, payload_sha256 = EXCLUDED.payload_sha256, day = EXCLUDED.day,
               start_at = EXCLUDED.start_at, end_at = EXCLUDED.end_at, updated_at = now(), deleted_at = NULL
         WHERE d.payload_sha256 IS DISTINCT FROM EXCLUDED.payload_sha256 OR d.deleted_at IS NOT NULL
        RETURNING document_id, (xmax = 0) AS inserted
    )
    SELECT i.document_id, w.inserted FROM incoming i LEFT JOIN written w USING (document_id)
)sql";

constexpr auto tombstone_documents = R"sql(
    UPDATE oura.oura_documents SET deleted_at = now()
     WHERE user_id = $1 AND resource = $2 AND document_id = ANY($3::text[]) AND deleted_at IS NULL
    RETURNING document_id
)sql";

constexpr auto tombstone_missing_in_days = R"sql(
    UPDATE oura.oura_documents SET deleted_at = now()
     WHERE user_id = $1 AND resource = $2 AND deleted_at IS NULL
       AND day BETWEEN $3::date AND $4::date AND NOT (document_id = ANY($5::text[]))
    RETURNING document_id
)sql";

constexpr auto tombstone_missing_all = R"sql(
    UPDATE oura.oura_documents SET deleted_at = now()
     WHERE user_id = $1 AND resource = $2 AND deleted_at IS NULL AND NOT (document_id = ANY($3::text[]))
    RETURNING document_id
)sql";

constexpr auto create_heart_rate_stage = R"sql(
    CREATE TEMP TABLE IF NOT EXISTS heart_rate_stage (ts text, source text, bpm text) ON COMMIT DELETE ROWS
)sql";

constexpr auto merge_heart_rate_stage = R"sql(
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
)sql";

constexpr auto create_battery_stage = R"sql(
    CREATE TEMP TABLE IF NOT EXISTS battery_stage (ts text, level text, charging text, in_charger text)
        ON COMMIT DELETE ROWS
)sql";

constexpr auto merge_battery_stage = R"sql(
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
)sql";

constexpr auto latest_heart_rate = R"sql(
    SELECT to_char(max(ts) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"')
      FROM oura.heart_rate_samples WHERE user_id = $1
)sql";

constexpr auto latest_battery_level = R"sql(
    SELECT to_char(max(ts) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"')
      FROM oura.ring_battery_levels WHERE user_id = $1
)sql";

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

void project(pqxx::work& tx, long long user_id, std::string_view resource,
             const std::vector<std::string>& ids, bool remove) {
    if (ids.empty()) return;
    const auto* p = find_projection(resource);
    if (!p) return;
    auto sql = remove ? p->remove_sql : p->upsert_sql;
    tx.exec_params(std::string(sql), user_id, to_pg_array(ids));
}

std::string first_line(const char* what) {
    std::string s(what);
    return s.substr(0, s.find('\n'));
}

// Runs `work` inside a savepoint: on an SQL error the savepoint is rolled back (the transaction
// stays usable) and the error returned; nullopt on success.
template <typename F>
std::optional<std::string> in_savepoint(pqxx::work& tx, F&& work) {
    tx.exec("SAVEPOINT oura_projection");
    try {
        work();
        tx.exec("RELEASE SAVEPOINT oura_projection");
        return std::nullopt;
    } catch (const pqxx::sql_error& e) {
        tx.exec("ROLLBACK TO SAVEPOINT oura_projection");
        return first_line(e.what());
    }
}

// Projects the page in one statement; when that fails, each document on its own, so one malformed
// document costs only its own curated row, never the raw rows of the page.
void project_keeping_raw(pqxx::work& tx, long long user_id, std::string_view resource,
                         const std::vector<std::string>& ids, WriteCounts& counts) {
    if (!in_savepoint(tx, [&] { project(tx, user_id, resource, ids, false); })) return;
    for (const auto& id : ids) {
        auto error = in_savepoint(tx, [&] { project(tx, user_id, resource, {id}, false); });
        if (!error) continue;
        ++counts.projection_failures;
        if (counts.projection_error.empty()) counts.projection_error = std::string(resource) + " " + id + ": " + *error;
    }
}

std::vector<std::string> ids_of(const pqxx::result& r) {
    std::vector<std::string> ids;
    ids.reserve(r.size());
    for (const auto& row : r) ids.push_back(row[0].as<std::string>());
    return ids;
}

WriteCounts merge_counts(const pqxx::row& r) {
    WriteCounts c;
    c.inserted = r[0].as<long long>();
    c.updated = r[1].as<long long>();
    c.unchanged = r[2].as<long long>() - c.inserted - c.updated;
    return c;
}

std::string text_or_empty(const rapidjson::Value& row, std::string_view key) {
    auto it = row.FindMember(rapidjson::Value(rapidjson::StringRef(key.data(), key.size())));
    if (it == row.MemberEnd() || it->value.IsNull()) return {};
    if (it->value.IsString()) return it->value.GetString();
    if (it->value.IsBool()) return it->value.GetBool() ? "true" : "false";
    if (it->value.IsInt64()) return std::to_string(it->value.GetInt64());
    if (it->value.IsNumber()) return std::to_string(static_cast<long long>(it->value.GetDouble()));
    return {};
}

}  // namespace

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
    auto r = tx.exec_params(upsert_document_page, user_id, std::string(resource), join_json_array(documents),
                            nullable(shape.day_field), nullable(shape.start_field), nullable(shape.end_field),
                            shape.key_by_hash);
    std::vector<std::string> changed;
    for (const auto& row : r) {
        auto id = row[0].as<std::string>();
        if (ids) ids->push_back(id);
        if (row[1].is_null()) {
            ++counts.unchanged;
            continue;
        }
        (row[1].as<bool>() ? counts.inserted : counts.updated) += 1;
        changed.push_back(std::move(id));
    }
    project_keeping_raw(tx, user_id, resource, changed, counts);
    return counts;
}

WriteCounts delete_documents(pqxx::work& tx, long long user_id, std::string_view resource,
                             const std::vector<std::string>& document_ids) {
    WriteCounts counts;
    if (document_ids.empty()) return counts;
    auto gone = ids_of(tx.exec_params(tombstone_documents, user_id, std::string(resource), to_pg_array(document_ids)));
    project(tx, user_id, resource, gone, true);
    counts.deleted = static_cast<long long>(gone.size());
    return counts;
}

WriteCounts delete_missing(pqxx::work& tx, long long user_id, std::string_view resource, const std::string& from_day,
                           const std::string& to_day, const std::vector<std::string>& seen) {
    pqxx::result r = from_day.empty()
                         ? tx.exec_params(tombstone_missing_all, user_id, std::string(resource), to_pg_array(seen))
                         : tx.exec_params(tombstone_missing_in_days, user_id, std::string(resource), from_day, to_day,
                                          to_pg_array(seen));
    auto gone = ids_of(r);
    project(tx, user_id, resource, gone, true);
    WriteCounts counts;
    counts.deleted = static_cast<long long>(gone.size());
    return counts;
}

WriteCounts upsert_heart_rate(pqxx::work& tx, long long user_id, const std::vector<std::string>& rows) {
    if (rows.empty()) return {};
    tx.exec(create_heart_rate_stage);
    {
        pqxx::stream_to stage(tx, "heart_rate_stage", std::vector<std::string>{"ts", "source", "bpm"});
        for (const auto& json : rows) {
            auto row = core::parse_json(json);
            stage << std::make_tuple(text_or_empty(row, "timestamp"), text_or_empty(row, "source"),
                                     text_or_empty(row, "bpm"));
        }
        stage.complete();
    }
    return merge_counts(tx.exec_params1(merge_heart_rate_stage, user_id));
}

WriteCounts upsert_battery_levels(pqxx::work& tx, long long user_id, const std::vector<std::string>& rows) {
    if (rows.empty()) return {};
    tx.exec(create_battery_stage);
    {
        pqxx::stream_to stage(tx, "battery_stage", std::vector<std::string>{"ts", "level", "charging", "in_charger"});
        for (const auto& json : rows) {
            auto row = core::parse_json(json);
            stage << std::make_tuple(text_or_empty(row, "timestamp"), text_or_empty(row, "level"),
                                     text_or_empty(row, "charging"), text_or_empty(row, "in_charger"));
        }
        stage.complete();
    }
    return merge_counts(tx.exec_params1(merge_battery_stage, user_id));
}

std::optional<std::string> latest_sample(pqxx::connection& conn, long long user_id, std::string_view resource) {
    pqxx::nontransaction tx(conn);
    auto r = tx.exec_params1(resource == "heartrate" ? latest_heart_rate : latest_battery_level, user_id);
    if (r[0].is_null()) return std::nullopt;
    return r[0].as<std::string>();
}

std::vector<std::string> reproject(pqxx::work& tx, long long user_id, std::string_view resource) {
    std::vector<std::string> done;
    std::vector<long long> users;
    if (user_id != 0) users.push_back(user_id);
    else
        for (const auto& r : tx.exec("SELECT user_id FROM oura.users ORDER BY user_id")) users.push_back(r[0].as<long long>());
    for (const auto& p : projections()) {
        if (!resource.empty() && p.resource != resource) continue;
        for (auto uid : users) {
            tx.exec_params(std::string(p.upsert_all_sql), uid);
            tx.exec_params(std::string(p.remove_all_sql), uid);
        }
        done.emplace_back(p.resource);
    }
    return done;
}

}  // namespace oura::store
