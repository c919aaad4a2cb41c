#include "oura/store/backfills.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <stdexcept>

#include "oura/api/catalog.hpp"
#include "oura/api/window.hpp"
#include "oura/core/json.hpp"
#include "oura/core/text.hpp"
#include "oura/store/documents.hpp"
#include "oura/store/jobs.hpp"
#include "oura/store/sync_records.hpp"
#include "statement.hpp"

namespace oura::store {
namespace {

constexpr Statement insert_backfill{"insert_backfill", R"sql(
    INSERT INTO oura.backfills (request_key, all_users, user_ids, resources, from_day, to_day, requested_by)
    VALUES ($1, $2, $3::bigint[], $4::text[], $5::date, $6::date, $7)
    ON CONFLICT (request_key) WHERE state = 'running' DO NOTHING
    RETURNING id
)sql"};

constexpr Statement select_running_backfill{"select_running_backfill", R"sql(
    SELECT id, chunks_total FROM oura.backfills WHERE request_key = $1 AND state = 'running'
)sql"};

constexpr Statement set_chunks_total{"set_backfill_chunks_total", R"sql(
    UPDATE oura.backfills SET chunks_total = $2, updated_at = now() WHERE id = $1
)sql"};

constexpr Statement insert_chunk{"insert_backfill_chunk", R"sql(
    INSERT INTO oura.backfill_chunks (backfill_id, chunk_no, user_id, resource, from_day, to_day, job_id)
    VALUES ($1, $2, $3, $4, $5::date, $6::date, $7)
)sql"};

constexpr Statement select_active_user_ids{"select_active_user_ids", R"sql(
    SELECT user_id FROM oura.users WHERE status = 'active' ORDER BY user_id
)sql"};

constexpr Statement select_known_user_ids{"select_known_user_ids", R"sql(
    SELECT user_id FROM oura.users WHERE user_id = ANY ($1::bigint[]) ORDER BY user_id
)sql"};

// The marker on the user row serialises concurrent first sightings: the second waits for the first
// one's row lock and then finds the column set.
constexpr Statement mark_initial_backfill{"mark_initial_backfill", R"sql(
    UPDATE oura.users SET initial_backfill_at = now()
     WHERE user_id = $1 AND initial_backfill_at IS NULL
    RETURNING user_id
)sql"};

constexpr Statement set_initial_for_user{"set_backfill_initial_for_user", R"sql(
    UPDATE oura.backfills SET initial_for_user = $2 WHERE id = $1 AND initial_for_user IS NULL
)sql"};

constexpr Statement record_chunk_rows{"record_backfill_chunk_rows", R"sql(
    UPDATE oura.backfill_chunks SET rows_written = $2, requests = $3, finished_at = now() WHERE job_id = $1
)sql"};

// Locks the running backfills a job belongs to before settling them: two workers finishing the
// last two chunks of one backfill at once are serialised here, and the second one's next
// statement sees the first one's job finished (READ COMMITTED takes a snapshot per statement).
constexpr Statement lock_backfills_of_job{"lock_backfills_of_job", R"sql(
    SELECT b.id FROM oura.backfills b
     WHERE b.state = 'running' AND b.id IN (SELECT backfill_id FROM oura.backfill_chunks WHERE job_id = $1)
     ORDER BY b.id
       FOR UPDATE OF b
)sql"};

// A chunk whose job was pruned (retention) kept its outcome in finished_at: set = succeeded.
constexpr Statement settle_backfills{"settle_backfills", R"sql(
    UPDATE oura.backfills b
       SET state = CASE WHEN EXISTS (SELECT 1 FROM oura.backfill_chunks c LEFT JOIN oura.jobs j ON j.id = c.job_id
                                      WHERE c.backfill_id = b.id
                                        AND NOT (j.state IS NOT DISTINCT FROM 'succeeded'
                                                 OR (c.job_id IS NULL AND c.finished_at IS NOT NULL)))
                        THEN 'failed' ELSE 'succeeded' END,
           finished_at = now(), updated_at = now()
     WHERE b.id = ANY ($1::bigint[]) AND b.state = 'running'
       AND NOT EXISTS (SELECT 1 FROM oura.backfill_chunks c JOIN oura.jobs j ON j.id = c.job_id
                        WHERE c.backfill_id = b.id AND j.state IN ('pending', 'running', 'waiting_token'))
)sql"};

constexpr Statement lock_idle_backfills{"lock_idle_backfills", R"sql(
    SELECT b.id FROM oura.backfills b
     WHERE b.state = 'running'
       AND NOT EXISTS (SELECT 1 FROM oura.backfill_chunks c JOIN oura.jobs j ON j.id = c.job_id
                        WHERE c.backfill_id = b.id AND j.state IN ('pending', 'running', 'waiting_token'))
     ORDER BY b.id
       FOR UPDATE OF b SKIP LOCKED
)sql"};

constexpr Statement lock_backfill{"lock_backfill", R"sql(
    SELECT state FROM oura.backfills WHERE id = $1 FOR UPDATE
)sql"};

// A job another running backfill shares stays live for that one.
constexpr Statement cancel_backfill_jobs{"cancel_backfill_jobs", R"sql(
    UPDATE oura.jobs j
       SET state = 'cancelled', finished_at = now(), lease_until = NULL, updated_at = now()
     WHERE j.id IN (SELECT c.job_id FROM oura.backfill_chunks c WHERE c.backfill_id = $1)
       AND j.state IN ('pending', 'running', 'waiting_token')
       AND NOT EXISTS (SELECT 1 FROM oura.backfill_chunks c2 JOIN oura.backfills b2 ON b2.id = c2.backfill_id
                        WHERE c2.job_id = j.id AND b2.id <> $1 AND b2.state = 'running')
)sql"};

constexpr Statement end_backfill{"end_backfill", R"sql(
    UPDATE oura.backfills SET state = $2, finished_at = now(), updated_at = now() WHERE id = $1
)sql"};

constexpr Statement select_failed_chunks{"select_failed_backfill_chunks", R"sql(
    SELECT c.chunk_no, c.user_id, c.resource, c.from_day::text, c.to_day::text, j.payload::text
      FROM oura.backfill_chunks c LEFT JOIN oura.jobs j ON j.id = c.job_id
     WHERE c.backfill_id = $1
       AND (j.state IN ('dead', 'failed') OR (c.job_id IS NULL AND c.finished_at IS NULL))
     ORDER BY c.chunk_no
)sql"};

constexpr Statement repoint_chunk{"repoint_backfill_chunk", R"sql(
    UPDATE oura.backfill_chunks SET job_id = $3, rows_written = 0, requests = 0, finished_at = NULL
     WHERE backfill_id = $1 AND chunk_no = $2
)sql"};

constexpr Statement reopen_backfill{"reopen_backfill", R"sql(
    UPDATE oura.backfills SET state = 'running', finished_at = NULL, updated_at = now() WHERE id = $1
)sql"};

constexpr Statement select_backfill{"select_backfill", R"sql(
    SELECT id, state, requested_by, all_users, array_to_string(user_ids, ','), array_to_string(resources, ','),
           from_day::text, to_day::text,
           to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
           COALESCE(to_char(finished_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), ''),
           extract(epoch FROM COALESCE(finished_at, clock_timestamp()) - created_at)::float8
      FROM oura.backfills WHERE id = $1
)sql"};

constexpr Statement select_backfill_ids{"select_backfill_ids", R"sql(
    SELECT id FROM oura.backfills ORDER BY created_at DESC, id DESC LIMIT $1
)sql"};

constexpr Statement select_backfill_progress{"select_backfill_progress", R"sql(
    SELECT c.resource, count(*),
           count(*) FILTER (WHERE j.state = 'succeeded' OR (c.job_id IS NULL AND c.finished_at IS NOT NULL)),
           count(*) FILTER (WHERE j.state = 'running'),
           count(*) FILTER (WHERE j.state = 'pending'),
           count(*) FILTER (WHERE j.state = 'waiting_token'),
           count(*) FILTER (WHERE j.state IN ('dead', 'failed') OR (c.job_id IS NULL AND c.finished_at IS NULL)),
           count(*) FILTER (WHERE j.state = 'cancelled'),
           COALESCE(sum(c.rows_written), 0)::bigint, COALESCE(sum(c.requests), 0)::bigint
      FROM oura.backfill_chunks c LEFT JOIN oura.jobs j ON j.id = c.job_id
     WHERE c.backfill_id = $1
     GROUP BY c.resource
)sql"};

constexpr Statement select_active_chunk_states{"select_active_backfill_chunk_states", R"sql(
    SELECT COALESCE(j.state, 'pruned'), count(*)
      FROM oura.backfills b JOIN oura.backfill_chunks c ON c.backfill_id = b.id
      LEFT JOIN oura.jobs j ON j.id = c.job_id
     WHERE b.state = 'running'
     GROUP BY 1 ORDER BY 1
)sql"};

std::string id_array(const std::vector<long long>& ids) {
    std::string out = "{";
    for (std::size_t i = 0; i < ids.size(); ++i) out += (i ? "," : "") + std::to_string(ids[i]);
    return out + "}";
}

std::vector<long long> parse_ids(const std::string& csv) {
    std::vector<long long> out;
    for (const auto& s : core::split_list(csv)) out.push_back(std::stoll(s));
    return out;
}

// The request's resources, validated and in catalog order (every one when none is named).
std::vector<std::string> resolve_resources(const std::vector<std::string>& wanted) {
    std::vector<std::string> out;
    for (const auto& r : api::resources())
        if (wanted.empty() || std::find(wanted.begin(), wanted.end(), r.name) != wanted.end())
            out.emplace_back(r.name);
    for (const auto& w : wanted)
        if (!api::find_resource(w)) throw std::invalid_argument("unknown resource '" + w + "'");
    return out;
}

std::string chunk_payload(const BackfillChunkPlan& chunk, int utc_offset_minutes) {
    core::JsonWriter w;
    w.begin_object()
        .field("resource", chunk.resource)
        .field("from", core::format_date(chunk.from))
        .field("to", core::format_date(chunk.to))
        .field("utc_offset_minutes", utc_offset_minutes)
        .end_object();
    return w.take();
}

std::string chunk_dedupe_key(long long user_id, const std::string& resource, core::Days from, core::Days to) {
    return "backfill:" + std::to_string(user_id) + ":" + resource + ":" + core::format_date(from) + ":" +
           core::format_date(to);
}

Enqueued enqueue_chunk(pqxx::work& tx, long long user_id, const std::string& resource, core::Days from, core::Days to,
                       const std::string& payload) {
    EnqueueOptions options;
    options.priority = backfill_chunk_priority;
    options.max_attempts = backfill_chunk_max_attempts;
    options.dedupe_key = chunk_dedupe_key(user_id, resource, from, to);
    return enqueue(tx, backfill_chunk_kind, user_id, payload, options);
}

core::Days date_or_throw(const std::string& text) {
    auto d = core::parse_date(text);
    if (!d) throw std::invalid_argument("not a date: " + text);
    return *d;
}

void fill_progress(pqxx::work& tx, BackfillStatus& s) {
    std::map<std::string, BackfillProgress> by;
    for (const auto& row : exec(tx, select_backfill_progress, s.id)) {
        BackfillProgress p;
        p.resource = row[0].as<std::string>();
        p.total = row[1].as<long long>();
        p.succeeded = row[2].as<long long>();
        p.running = row[3].as<long long>();
        p.pending = row[4].as<long long>();
        p.waiting_token = row[5].as<long long>();
        p.failed = row[6].as<long long>();
        p.cancelled = row[7].as<long long>();
        p.rows_written = row[8].as<long long>();
        p.requests = row[9].as<long long>();
        by[p.resource] = p;
    }
    s.totals = {};
    for (const auto& r : s.resources) {
        auto it = by.find(r);
        BackfillProgress p = it == by.end() ? BackfillProgress{} : it->second;
        p.resource = r;
        s.totals.total += p.total;
        s.totals.succeeded += p.succeeded;
        s.totals.running += p.running;
        s.totals.pending += p.pending;
        s.totals.waiting_token += p.waiting_token;
        s.totals.failed += p.failed;
        s.totals.cancelled += p.cancelled;
        s.totals.rows_written += p.rows_written;
        s.totals.requests += p.requests;
        s.by_resource.push_back(std::move(p));
    }
}

}  // namespace

std::vector<BackfillChunkPlan> plan_backfill_chunks(const std::vector<long long>& user_ids,
                                                    const std::vector<std::string>& resources, core::Days from,
                                                    core::Days to) {
    if (from > to) throw std::invalid_argument("the window's first day " + core::format_date(from) +
                                               " is after its last day " + core::format_date(to));
    auto names = resolve_resources(resources);
    std::vector<BackfillChunkPlan> out;
    for (auto user : user_ids)
        for (const auto& name : names) {
            const auto* resource = api::find_resource(name);
            // Series run from local midnight to local midnight at the offset known when the
            // request was made (UTC when none): a day more on each side covers the requested days
            // in every zone (UTC-12 to UTC+14), as the poller does for a new user (plan.hpp).
            auto first = resource->time_series ? from - std::chrono::days(1) : from;
            auto last = resource->time_series ? to + std::chrono::days(1) : to;
            for (const auto& w : api::plan_windows(*resource, first, last)) out.push_back({user, name, w.from, w.to});
        }
    // Newest first across every user and resource: recent history arrives before old history.
    std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.to > b.to; });
    return out;
}

std::string backfill_request_key(const BackfillRequest& request) {
    std::string key = "users=";
    if (request.all_users) key += "all";
    else {
        std::set<long long> users(request.user_ids.begin(), request.user_ids.end());
        bool first = true;
        for (auto u : users) key += (std::exchange(first, false) ? "" : ",") + std::to_string(u);
    }
    key += "|from=" + core::format_date(request.from) + "|to=" + core::format_date(request.to) + "|resources=";
    auto names = resolve_resources(request.resources);
    std::sort(names.begin(), names.end());
    for (std::size_t i = 0; i < names.size(); ++i) key += (i ? "," : "") + names[i];
    return key;
}

BackfillRef request_backfill(pqxx::work& tx, const BackfillRequest& request) {
    if (request.from > request.to)
        throw std::invalid_argument("the window's first day " + core::format_date(request.from) +
                                    " is after its last day " + core::format_date(request.to));
    auto resources = resolve_resources(request.resources);
    std::vector<long long> users;
    if (request.all_users) {
        for (const auto& row : exec(tx, select_active_user_ids)) users.push_back(row[0].as<long long>());
        if (users.empty()) throw std::invalid_argument("there are no active users to backfill");
    } else {
        std::set<long long> wanted(request.user_ids.begin(), request.user_ids.end());
        if (wanted.empty()) throw std::invalid_argument("no users named");
        std::vector<long long> named(wanted.begin(), wanted.end());
        for (const auto& row : exec(tx, select_known_user_ids, id_array(named))) users.push_back(row[0].as<long long>());
        for (auto u : named)
            if (std::find(users.begin(), users.end(), u) == users.end())
                throw std::invalid_argument("unknown user " + std::to_string(u));
    }
    auto key = backfill_request_key(request);
    auto inserted = exec(tx, insert_backfill, key, request.all_users, id_array(users), to_pg_array(resources),
                         core::format_date(request.from), core::format_date(request.to), request.requested_by);
    if (inserted.empty()) {
        // An equal request is running (perhaps committed after this statement's snapshot: the
        // next statement sees it).
        auto existing = exec(tx, select_running_backfill, key);
        if (existing.empty()) throw retryable_error("an equal backfill request finished while this one was being made");
        return {existing[0][0].as<long long>(), false, existing[0][1].as<int>()};
    }
    long long id = inserted[0][0].as<long long>();
    std::map<long long, int> offsets;
    for (auto u : users) offsets[u] = latest_utc_offset(tx, u).value_or(0);
    auto chunks = plan_backfill_chunks(users, resources, request.from, request.to);
    int no = 0;
    for (const auto& c : chunks) {
        auto job = enqueue_chunk(tx, c.user_id, c.resource, c.from, c.to, chunk_payload(c, offsets[c.user_id]));
        exec(tx, insert_chunk, id, no++, c.user_id, c.resource, core::format_date(c.from), core::format_date(c.to), job.id);
    }
    exec(tx, set_chunks_total, id, no);
    return {id, true, no};
}

std::optional<long long> ensure_initial_backfill(pqxx::work& tx, long long user_id, int days,
                                                 std::optional<core::Days> today) {
    if (days <= 0) return std::nullopt;
    if (exec(tx, mark_initial_backfill, user_id).empty()) return std::nullopt;
    auto last = today.value_or(std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now()));
    BackfillRequest request;
    request.user_ids = {user_id};
    request.from = last - std::chrono::days(days - 1);
    request.to = last;
    request.requested_by = "initial";
    auto ref = request_backfill(tx, request);
    exec(tx, set_initial_for_user, ref.id, user_id);
    return ref.id;
}

UserConnected user_connected(pqxx::work& tx, long long user_id, int initial_backfill_days,
                             std::optional<core::Days> today) {
    UserConnected out;
    out.resumed_jobs = resume_parked(tx, user_id);
    out.initial_backfill = ensure_initial_backfill(tx, user_id, initial_backfill_days, today);
    return out;
}

BackfillChunkJob parse_chunk_payload(const std::string& payload_json) {
    try {
        auto doc = core::parse_json(payload_json);
        if (!doc.IsObject()) throw std::invalid_argument("not an object");
        BackfillChunkJob job;
        auto resource = core::get_string(doc, "resource");
        auto from = core::get_string(doc, "from");
        auto to = core::get_string(doc, "to");
        if (!resource || !from || !to) throw std::invalid_argument("resource, from or to missing");
        job.resource = std::string(*resource);
        job.from = date_or_throw(std::string(*from));
        job.to = date_or_throw(std::string(*to));
        job.utc_offset_minutes = static_cast<int>(core::get_int(doc, "utc_offset_minutes").value_or(0));
        if (job.from > job.to) throw std::invalid_argument("from is after to");
        return job;
    } catch (const core::json_error& e) {
        throw std::invalid_argument(std::string("backfill chunk payload: ") + e.what());
    } catch (const std::invalid_argument& e) {
        throw std::invalid_argument(std::string("backfill chunk payload: ") + e.what());
    }
}

void record_chunk_success(pqxx::work& tx, long long job_id, long long rows_written, long long requests) {
    exec(tx, record_chunk_rows, job_id, rows_written, requests);
    settle_backfills_of_job(tx, job_id);
}

void settle_backfills_of_job(pqxx::work& tx, long long job_id) {
    std::vector<long long> ids;
    for (const auto& row : exec(tx, lock_backfills_of_job, job_id)) ids.push_back(row[0].as<long long>());
    if (!ids.empty()) exec(tx, settle_backfills, id_array(ids));
}

long long settle_idle_backfills(pqxx::work& tx) {
    std::vector<long long> ids;
    for (const auto& row : exec(tx, lock_idle_backfills)) ids.push_back(row[0].as<long long>());
    if (ids.empty()) return 0;
    return static_cast<long long>(exec(tx, settle_backfills, id_array(ids)).affected_rows());
}

bool cancel_backfill(pqxx::work& tx, long long id) {
    auto locked = exec(tx, lock_backfill, id);
    if (locked.empty() || locked[0][0].as<std::string>() != "running") return false;
    exec(tx, cancel_backfill_jobs, id);
    exec(tx, end_backfill, id, std::string("cancelled"));
    return true;
}

long long retry_failed_chunks(pqxx::work& tx, long long id) {
    auto locked = exec(tx, lock_backfill, id);
    if (locked.empty()) throw std::invalid_argument("no backfill " + std::to_string(id));
    if (locked[0][0].as<std::string>() == "cancelled")
        throw std::invalid_argument("backfill " + std::to_string(id) + " was cancelled; request it again instead");
    long long n = 0;
    for (const auto& row : exec(tx, select_failed_chunks, id)) {
        BackfillChunkPlan c{row[1].as<long long>(), row[2].as<std::string>(), date_or_throw(row[3].as<std::string>()),
                            date_or_throw(row[4].as<std::string>())};
        std::string payload = row[5].is_null() ? chunk_payload(c, latest_utc_offset(tx, c.user_id).value_or(0))
                                               : row[5].as<std::string>();
        auto job = enqueue_chunk(tx, c.user_id, c.resource, c.from, c.to, payload);
        exec(tx, repoint_chunk, id, row[0].as<int>(), job.id);
        ++n;
    }
    if (n > 0) exec(tx, reopen_backfill, id);
    return n;
}

double BackfillStatus::chunks_per_second() const {
    long long done = totals.succeeded + totals.failed;
    return elapsed_seconds > 0 ? static_cast<double>(done) / elapsed_seconds : 0.0;
}

double BackfillStatus::requests_per_second() const {
    return elapsed_seconds > 0 ? static_cast<double>(totals.requests) / elapsed_seconds : 0.0;
}

std::optional<double> BackfillStatus::eta_seconds() const {
    auto rate = chunks_per_second();
    if (totals.remaining() == 0 || rate <= 0 || state != "running") return std::nullopt;
    return static_cast<double>(totals.remaining()) / rate;
}

std::optional<BackfillStatus> backfill_status(pqxx::work& tx, long long id) {
    auto r = exec(tx, select_backfill, id);
    if (r.empty()) return std::nullopt;
    const auto& row = r[0];
    BackfillStatus s;
    s.id = row[0].as<long long>();
    s.state = row[1].as<std::string>();
    s.requested_by = row[2].as<std::string>();
    s.all_users = row[3].as<bool>();
    s.user_ids = parse_ids(row[4].as<std::string>());
    s.resources = core::split_list(row[5].as<std::string>());
    s.from = date_or_throw(row[6].as<std::string>());
    s.to = date_or_throw(row[7].as<std::string>());
    s.created_at = row[8].as<std::string>();
    s.finished_at = row[9].as<std::string>();
    s.elapsed_seconds = row[10].as<double>();
    fill_progress(tx, s);
    return s;
}

std::vector<BackfillStatus> list_backfills(pqxx::work& tx, int limit) {
    std::vector<BackfillStatus> out;
    for (const auto& row : exec(tx, select_backfill_ids, limit))
        if (auto s = backfill_status(tx, row[0].as<long long>())) out.push_back(std::move(*s));
    return out;
}

std::vector<std::pair<std::string, long long>> active_backfill_chunks(pqxx::work& tx) {
    std::vector<std::pair<std::string, long long>> out;
    for (const auto& row : exec(tx, select_active_chunk_states)) out.emplace_back(row[0].as<std::string>(), row[1].as<long long>());
    return out;
}

}  // namespace oura::store
