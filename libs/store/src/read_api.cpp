#include "oura/store/read_api.hpp"

#include <stdexcept>

#include "oura/store/backfills.hpp"
#include "oura/store/database.hpp"

#include "listener.hpp"
#include "statement.hpp"

namespace oura::store {
namespace {

// Keyset paging: the page after (user_id, key…) in the table's primary-key order, so a page costs
// the same however deep it is and rows written meanwhile never shift the pages.
constexpr Statement page_daily_summaries{"page_daily_summaries", R"sql(
    SELECT * FROM oura.daily_summaries
     WHERE ($1::bigint IS NULL OR user_id = $1::bigint) AND day BETWEEN $2::date AND $3::date
       AND ($4::bigint IS NULL OR (user_id, day) > ($4::bigint, $5::date))
     ORDER BY user_id, day LIMIT $6
)sql"};

constexpr Statement page_sleep{"page_sleep", R"sql(
    SELECT * FROM oura.sleep_episodes
     WHERE ($1::bigint IS NULL OR user_id = $1::bigint) AND day BETWEEN $2::date AND $3::date
       AND ($4::bigint IS NULL OR (user_id, day, document_id) > ($4::bigint, $5::date, $6::text))
     ORDER BY user_id, day, document_id LIMIT $7
)sql"};

constexpr Statement page_heartrate{"page_heartrate", R"sql(
    SELECT user_id, ts, bpm, source FROM oura.heart_rate_samples
     WHERE ($1::bigint IS NULL OR user_id = $1::bigint) AND ts >= $2::timestamptz AND ts <= $3::timestamptz
       AND ($4::bigint IS NULL OR (user_id, ts, source) > ($4::bigint, $5::timestamptz, $6::text))
     ORDER BY user_id, ts, source LIMIT $7
)sql"};

constexpr Statement select_user_exists{"select_user_exists", R"sql(
    SELECT EXISTS (SELECT 1 FROM oura.users WHERE user_id = $1)
)sql"};

constexpr Statement select_table_statistics{"select_table_statistics", R"sql(
    WITH ranges AS (
        SELECT 'oura.daily_summaries' AS t, min(day)::text AS first, max(day)::text AS last FROM oura.daily_summaries
        UNION ALL SELECT 'oura.sleep_episodes', min(day)::text, max(day)::text FROM oura.sleep_episodes
        UNION ALL SELECT 'oura.oura_documents', min(day)::text, max(day)::text FROM oura.oura_documents
        UNION ALL
        SELECT 'oura.heart_rate_samples', min(r.first)::text, max(r.last)::text
          FROM oura.users u
          CROSS JOIN LATERAL (SELECT (SELECT min(ts) FROM oura.heart_rate_samples h WHERE h.user_id = u.user_id) AS first,
                                     (SELECT max(ts) FROM oura.heart_rate_samples h WHERE h.user_id = u.user_id) AS last) r
    )
    SELECT s.table_name AS table, s.row_estimate AS rows_estimate, s.total_bytes AS bytes,
           r.first, r.last, s.refreshed_at
      FROM oura.table_stats s LEFT JOIN ranges r ON r.t = s.table_name
     ORDER BY s.table_name
)sql"};

constexpr Statement select_database_info{"select_database_info", R"sql(
    SELECT current_database() AS database, pg_database_size(current_database()) AS bytes,
           pg_total_relation_size('oura.oura_documents') AS raw_document_bytes,
           pg_total_relation_size('oura.heart_rate_samples') AS heart_rate_bytes,
           (SELECT count(*) FROM oura.oura_documents WHERE first_seen_at > now() - interval '1 day') AS documents_added_last_day,
           (SELECT count(*) FROM oura.oura_documents WHERE first_seen_at > now() - interval '7 days') AS documents_added_last_week,
           (SELECT coalesce(sum(rows), 0) FROM oura.change_events WHERE change = 'samples' AND at > now() - interval '1 day')
               AS samples_added_last_day
)sql"};

constexpr Statement select_change_events_after{"select_change_events_after", R"sql(
    SELECT id, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), user_id, resource,
           coalesce(document_id, ''), change, rows
      FROM oura.change_events WHERE id > $1 ORDER BY id LIMIT $2
)sql"};

constexpr Statement select_newest_change_event_id{"select_newest_change_event_id", R"sql(
    SELECT coalesce(max(id), 0) FROM oura.change_events
)sql"};

constexpr Statement select_latest_change_events{"select_latest_change_events", R"sql(
    SELECT id, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), user_id, resource,
           coalesce(document_id, ''), change, rows
      FROM oura.change_events ORDER BY id DESC LIMIT $1
)sql"};

constexpr Statement select_recent_changes{"select_recent_changes", R"sql(
    SELECT id, at, user_id, resource, document_id, change, rows
      FROM oura.change_events ORDER BY id DESC LIMIT $1
)sql"};

constexpr Statement select_recent_deliveries{"select_recent_deliveries", R"sql(
    SELECT w.id, w.received_at, w.event_type, w.data_type, w.object_id, w.event_time, w.processed_at,
           CASE WHEN w.processed_at IS NOT NULL THEN 'processed' ELSE coalesce(j.state, 'pending') END AS state,
           j.last_error
      FROM oura.webhook_inbox w LEFT JOIN oura.jobs j ON j.id = w.job_id
     ORDER BY w.id DESC LIMIT $1
)sql"};

constexpr Statement delete_old_change_events{"delete_old_change_events", R"sql(
    DELETE FROM oura.change_events WHERE at < now() - make_interval(days => $1)
)sql"};

constexpr Statement snapshot_syncs{"snapshot_syncs", R"sql(
    SELECT s.user_id, coalesce(u.oura_user_id, ''), s.resource, s.status, coalesce(s.last_error, ''),
           extract(epoch FROM s.last_success_at)::float8, extract(epoch FROM s.last_attempt_at)::float8
      FROM oura.sync_state s JOIN oura.users u ON u.user_id = s.user_id
     ORDER BY s.user_id, s.resource
)sql"};

constexpr Statement snapshot_jobs{"snapshot_jobs", R"sql(
    SELECT kind, state, count(*) FROM oura.jobs GROUP BY kind, state ORDER BY kind, state
)sql"};

constexpr Statement snapshot_oldest_pending{"snapshot_oldest_pending", R"sql(
    SELECT kind, extract(epoch FROM now() - min(run_after))::float8 FROM oura.jobs
     WHERE state = 'pending' AND run_after <= now() GROUP BY kind ORDER BY kind
)sql"};

constexpr Statement snapshot_inbox_lag{"snapshot_inbox_lag", R"sql(
    SELECT coalesce(extract(epoch FROM now() - min(received_at))::float8, 0)
      FROM oura.webhook_inbox WHERE processed_at IS NULL
)sql"};

constexpr Statement snapshot_subscriptions{"snapshot_subscriptions", R"sql(
    SELECT data_type, event_type, coalesce(last_error, ''), extract(epoch FROM expiration_time)::float8
      FROM oura.webhook_subscriptions ORDER BY data_type, event_type
)sql"};

// Only the expiry and whether the grant is dead: never a token column.
constexpr Statement snapshot_tokens{"snapshot_tokens", R"sql(
    SELECT t.user_id, coalesce(u.oura_user_id, ''), extract(epoch FROM t.expires_at)::float8, t.invalid_at IS NOT NULL
      FROM oura_secret.oauth_tokens t JOIN oura.users u ON u.user_id = t.user_id ORDER BY t.user_id
)sql"};

constexpr Statement snapshot_reconnect{"snapshot_reconnect", R"sql(
    SELECT count(*) FROM oura.users u
      LEFT JOIN oura_secret.oauth_tokens t ON t.user_id = u.user_id
     WHERE u.status <> 'paused' AND (t.user_id IS NULL OR t.invalid_at IS NOT NULL
           OR EXISTS (SELECT 1 FROM oura.sync_state s WHERE s.user_id = u.user_id AND s.status = 'scope_missing'))
)sql"};

constexpr Statement snapshot_tables{"snapshot_tables", R"sql(
    SELECT table_name, row_estimate, total_bytes FROM oura.table_stats ORDER BY table_name
)sql"};

constexpr Statement select_users_table{"select_users_table", R"sql(
    SELECT u.user_id, u.oura_user_id, u.email, u.status, u.created_at,
           t.expires_at AS token_expires_at,
           CASE WHEN t.invalid_at IS NOT NULL THEN 'dead' WHEN t.user_id IS NULL THEN 'none' ELSE 'ok' END AS grant_state,
           (SELECT max(s.last_success_at) FROM oura.sync_state s WHERE s.user_id = u.user_id) AS last_success_at
      FROM oura.users u LEFT JOIN oura_secret.oauth_tokens t ON t.user_id = u.user_id
     ORDER BY u.user_id
)sql"};

constexpr Statement pause_user{"pause_user", R"sql(
    UPDATE oura.users SET status = 'paused', updated_at = now() WHERE user_id = $1
)sql"};

constexpr Statement revoke_user{"revoke_user", R"sql(
    UPDATE oura.users SET status = 'revoked', updated_at = now() WHERE user_id = $1
)sql"};

constexpr Statement forget_tokens{"forget_tokens", R"sql(
    DELETE FROM oura_secret.oauth_tokens WHERE user_id = $1
)sql"};

constexpr Statement erase_user_rows{"erase_user_rows", R"sql(
    SELECT table_name, rows FROM oura.erase_user($1)
)sql"};

const char* opt(const std::optional<std::string>& s) { return s ? s->c_str() : nullptr; }

std::optional<double> opt_double(const pqxx::field& f) {
    if (f.is_null()) return std::nullopt;
    return f.as<double>();
}

ResultTable to_table(const pqxx::result& r) {
    ResultTable t;
    for (pqxx::row::size_type i = 0; i < r.columns(); ++i)
        t.columns.push_back({r.column_name(i), kind_of_type(static_cast<unsigned>(r.column_type(i)))});
    t.rows.reserve(r.size());
    for (const auto& row : r) {
        Row out;
        out.reserve(row.size());
        for (const auto& f : row) {
            if (f.is_null()) out.emplace_back();
            else out.emplace_back(std::string(f.c_str(), f.size()));
        }
        t.rows.push_back(std::move(out));
    }
    return t;
}

// A cursor is the key of the last row, fields separated by a unit separator (never in our keys).
constexpr char cursor_separator = '\x1f';

std::vector<std::string> split_cursor(const std::string& cursor, std::size_t parts) {
    std::vector<std::string> out;
    std::size_t pos = 0;
    for (std::size_t i = 0; i + 1 < parts; ++i) {
        auto next = cursor.find(cursor_separator, pos);
        if (next == std::string::npos) throw std::invalid_argument("malformed cursor");
        out.push_back(cursor.substr(pos, next - pos));
        pos = next + 1;
    }
    out.push_back(cursor.substr(pos));
    if (out[0].empty() || out[0].find_first_not_of("0123456789") != std::string::npos)
        throw std::invalid_argument("malformed cursor");
    return out;
}

std::size_t column_index(const ResultTable& t, std::string_view name) {
    for (std::size_t i = 0; i < t.columns.size(); ++i)
        if (t.columns[i].name == name) return i;
    throw std::logic_error("column missing");
}

}  // namespace

Page read_page(pqxx::transaction_base& tx, Series series, const PageQuery& q) {
    const Statement* s = nullptr;
    std::vector<std::string> key_columns;
    switch (series) {
        case Series::daily_summaries: s = &page_daily_summaries; key_columns = {"user_id", "day"}; break;
        case Series::sleep: s = &page_sleep; key_columns = {"user_id", "day", "document_id"}; break;
        case Series::heartrate: s = &page_heartrate; key_columns = {"user_id", "ts", "source"}; break;
    }
    std::optional<std::string> a1, a2, a3;
    if (q.after) {
        auto parts = split_cursor(*q.after, key_columns.size());
        a1 = parts[0];
        a2 = parts[1];
        if (parts.size() > 2) a3 = parts[2];
    }
    std::optional<std::string> user;
    if (q.user_id) user = std::to_string(*q.user_id);
    Page page;
    // Planned for these parameters: a generic plan cannot drop the "$n IS NULL OR …" arms and
    // scans the whole table for every page (200 pages of a million heart-rate rows took a minute).
    page.table = series == Series::daily_summaries
                     ? to_table(exec_custom_plan(tx, *s, opt(user), q.start, q.end, opt(a1), opt(a2), q.limit))
                     : to_table(exec_custom_plan(tx, *s, opt(user), q.start, q.end, opt(a1), opt(a2), opt(a3), q.limit));
    if (static_cast<int>(page.table.rows.size()) == q.limit && !page.table.rows.empty()) {
        const auto& last = page.table.rows.back();
        std::string cursor;
        for (std::size_t i = 0; i < key_columns.size(); ++i) {
            if (i) cursor += cursor_separator;
            cursor += last[column_index(page.table, key_columns[i])].value_or("");
        }
        page.next_after = cursor;
    }
    return page;
}

bool user_exists(pqxx::transaction_base& tx, long long user_id) { return exec1(tx, select_user_exists, user_id)[0].as<bool>(); }

ResultTable table_statistics(pqxx::transaction_base& tx) { return to_table(exec(tx, select_table_statistics)); }

ResultTable database_info(pqxx::transaction_base& tx) { return to_table(exec(tx, select_database_info)); }

std::vector<ChangeEvent> change_events_after(pqxx::transaction_base& tx, long long after_id, int limit) {
    std::vector<ChangeEvent> out;
    for (const auto& r : exec(tx, select_change_events_after, after_id, limit))
        out.push_back({r[0].as<long long>(), r[1].as<std::string>(), r[2].as<long long>(), r[3].as<std::string>(),
                       r[4].as<std::string>(), r[5].as<std::string>(), r[6].as<long long>()});
    return out;
}

long long newest_change_event_id(pqxx::transaction_base& tx) { return exec1(tx, select_newest_change_event_id)[0].as<long long>(); }

std::vector<ChangeEvent> latest_change_events(pqxx::transaction_base& tx, int limit) {
    std::vector<ChangeEvent> out;
    for (const auto& r : exec(tx, select_latest_change_events, limit))
        out.push_back({r[0].as<long long>(), r[1].as<std::string>(), r[2].as<long long>(), r[3].as<std::string>(),
                       r[4].as<std::string>(), r[5].as<std::string>(), r[6].as<long long>()});
    return out;
}

ResultTable recent_changes(pqxx::transaction_base& tx, int limit) { return to_table(exec(tx, select_recent_changes, limit)); }

ResultTable recent_deliveries(pqxx::transaction_base& tx, int limit) {
    return to_table(exec(tx, select_recent_deliveries, limit));
}

long long trim_change_events(pqxx::transaction_base& tx, int days) {
    return static_cast<long long>(exec(tx, delete_old_change_events, days).affected_rows());
}

PipelineSnapshot pipeline_snapshot(pqxx::work& tx) {
    PipelineSnapshot s;
    s.now = tx.exec1("SELECT extract(epoch FROM now())::float8")[0].as<double>();
    for (const auto& r : exec(tx, snapshot_syncs))
        s.syncs.push_back({r[0].as<long long>(), r[1].as<std::string>(), r[2].as<std::string>(), r[3].as<std::string>(),
                           r[4].as<std::string>(), opt_double(r[5]), opt_double(r[6])});
    for (const auto& r : exec(tx, snapshot_jobs))
        s.jobs.push_back({r[0].as<std::string>(), r[1].as<std::string>(), r[2].as<long long>()});
    for (const auto& r : exec(tx, snapshot_oldest_pending)) s.oldest_pending_age.emplace_back(r[0].as<std::string>(), r[1].as<double>());
    s.inbox_lag_seconds = exec1(tx, snapshot_inbox_lag)[0].as<double>();
    for (const auto& r : exec(tx, snapshot_subscriptions))
        s.subscriptions.push_back({r[0].as<std::string>(), r[1].as<std::string>(), r[2].as<std::string>(), r[3].as<double>()});
    for (const auto& r : exec(tx, snapshot_tokens))
        s.tokens.push_back({r[0].as<long long>(), r[1].as<std::string>(), opt_double(r[2]), r[3].as<bool>()});
    s.users_needing_reconnect = exec1(tx, snapshot_reconnect)[0].as<long long>();
    for (const auto& b : list_backfills(tx, 50)) {
        if (b.state != "running") continue;
        PipelineSnapshot::Backfill out;
        out.id = b.id;
        out.state = b.state;
        if (b.all_users) out.users = "all";
        for (auto u : b.user_ids) out.users += (out.users.empty() ? "" : ",") + std::to_string(u);
        for (const auto& r : b.resources) out.resources += (out.resources.empty() ? "" : ",") + r;
        if (out.resources.empty()) out.resources = "all";
        out.from_day = core::format_date(b.from);
        out.to_day = core::format_date(b.to);
        out.chunks_total = b.totals.total;
        out.chunks_done = b.totals.succeeded;
        out.chunks_failed = b.totals.failed;
        s.backfills.push_back(std::move(out));
    }
    s.backfill_chunks = active_backfill_chunks(tx);
    for (const auto& r : exec(tx, snapshot_tables))
        s.tables.push_back({r[0].as<std::string>(), r[1].as<long long>(), r[2].as<long long>()});
    return s;
}

ResultTable users_table(pqxx::transaction_base& tx) { return to_table(exec(tx, select_users_table)); }

bool disable_user(pqxx::transaction_base& tx, long long user_id) { return exec(tx, pause_user, user_id).affected_rows() == 1; }

bool disconnect_user(pqxx::transaction_base& tx, long long user_id) {
    if (exec(tx, revoke_user, user_id).affected_rows() != 1) return false;
    exec(tx, forget_tokens, user_id);
    return true;
}

std::vector<std::pair<std::string, long long>> erase_user(pqxx::transaction_base& tx, long long user_id) {
    std::vector<std::pair<std::string, long long>> out;
    for (const auto& r : exec(tx, erase_user_rows, user_id)) out.emplace_back(r[0].as<std::string>(), r[1].as<long long>());
    return out;
}

struct ChangeWaiter::State : Listener {
    using Listener::Listener;
};

ChangeWaiter::ChangeWaiter(std::string database_url)
    : state_(std::make_unique<State>(std::move(database_url), changes_channel)) {}

ChangeWaiter::~ChangeWaiter() = default;

bool ChangeWaiter::wait(std::chrono::milliseconds timeout) { return state_->wait(timeout); }

}  // namespace oura::store
