#include "oura/store/webhooks.hpp"

#include <map>

#include "oura/store/database.hpp"
#include "oura/store/documents.hpp"
#include "statement.hpp"

namespace oura::store {
namespace {

// One statement for a whole group commit: the inbox rows (a repeat of a delivery key conflicts and
// is skipped, also inside the batch), then a job for each new row whose user we know. The last
// SELECT maps each new row back to the first input position that carried it; every other position
// was a duplicate. event_time is compared as timestamptz, so "+00:00" and "Z" spellings agree.
constexpr Statement insert_deliveries{"insert_deliveries", R"sql(
    WITH input AS (
        SELECT t.event_type, t.data_type, t.object_id, t.event_time::timestamptz AS event_time, t.oura_user_id,
               t.body, t.ord
          FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])
               WITH ORDINALITY AS t(event_type, data_type, object_id, event_time, oura_user_id, body, ord)
    ), ins AS (
        INSERT INTO oura.webhook_inbox (event_type, data_type, object_id, event_time, oura_user_id, body)
        SELECT event_type, data_type, object_id, event_time, oura_user_id, body::jsonb FROM input ORDER BY ord
        ON CONFLICT ON CONSTRAINT webhook_inbox_delivery_key DO NOTHING
        RETURNING id, event_type, data_type, object_id, event_time, oura_user_id
    ), queued AS (
        INSERT INTO oura.jobs (kind, user_id, payload, priority)
        SELECT $7, u.user_id, jsonb_build_object('inbox_id', ins.id), $8
          FROM ins JOIN oura.users u ON u.oura_user_id = ins.oura_user_id
        RETURNING id, (payload ->> 'inbox_id')::bigint AS inbox_id
    )
    SELECT min(input.ord), ins.id, queued.id
      FROM ins
      JOIN input ON input.event_type = ins.event_type AND input.data_type = ins.data_type
                AND input.object_id = ins.object_id AND input.event_time = ins.event_time
                AND input.oura_user_id = ins.oura_user_id
      LEFT JOIN queued ON queued.inbox_id = ins.id
     GROUP BY ins.id, queued.id
)sql"};

// A separate statement: rows a data-modifying CTE inserted are invisible to the rest of its statement.
constexpr Statement link_inbox_jobs{"link_inbox_jobs", R"sql(
    UPDATE oura.webhook_inbox i SET job_id = v.job_id
      FROM unnest($1::bigint[], $2::bigint[]) AS v(inbox_id, job_id)
     WHERE i.id = v.inbox_id
)sql"};

constexpr Statement enqueue_waiting{"enqueue_waiting", R"sql(
    WITH waiting AS (
        SELECT id FROM oura.webhook_inbox
         WHERE oura_user_id = $2 AND job_id IS NULL AND processed_at IS NULL
         ORDER BY id
           FOR UPDATE
    ), queued AS (
        INSERT INTO oura.jobs (kind, user_id, payload, priority)
        SELECT $3, $1::bigint, jsonb_build_object('inbox_id', waiting.id), $4 FROM waiting
        RETURNING id, (payload ->> 'inbox_id')::bigint AS inbox_id
    )
    SELECT inbox_id, id FROM queued
)sql"};

constexpr Statement enqueue_all_waiting{"enqueue_all_waiting", R"sql(
    WITH waiting AS (
        SELECT i.id, u.user_id FROM oura.webhook_inbox i JOIN oura.users u ON u.oura_user_id = i.oura_user_id
         WHERE i.job_id IS NULL AND i.processed_at IS NULL
         ORDER BY i.id
         LIMIT 10000
           FOR UPDATE OF i SKIP LOCKED
    ), queued AS (
        INSERT INTO oura.jobs (kind, user_id, payload, priority)
        SELECT $1, waiting.user_id, jsonb_build_object('inbox_id', waiting.id), $2 FROM waiting
        RETURNING id, (payload ->> 'inbox_id')::bigint AS inbox_id
    )
    SELECT inbox_id, id FROM queued
)sql"};

constexpr Statement select_inbox_event{"select_inbox_event", R"sql(
    SELECT id, event_type, data_type, object_id, event_time::text, oura_user_id, processed_at IS NOT NULL
      FROM oura.webhook_inbox WHERE id = $1
)sql"};

// DO UPDATE ... WHERE locks the conflicting row even when its WHERE is false, so a concurrent event
// of the same document waits for this transaction and then compares with what it committed.
constexpr Statement claim_document_event{"claim_document_event", R"sql(
    INSERT INTO oura.webhook_document_events AS d (oura_user_id, data_type, object_id, event_time, event_type)
    SELECT oura_user_id, data_type, object_id, event_time, event_type FROM oura.webhook_inbox WHERE id = $1
    ON CONFLICT (oura_user_id, data_type, object_id) DO UPDATE
       SET event_time = EXCLUDED.event_time, event_type = EXCLUDED.event_type, applied_at = now()
     WHERE d.event_time < EXCLUDED.event_time
        OR (d.event_time = EXCLUDED.event_time AND (EXCLUDED.event_type = 'delete' OR d.event_type <> 'delete'))
    RETURNING 1
)sql"};

constexpr Statement finish_inbox{"finish_inbox", R"sql(
    UPDATE oura.webhook_inbox SET processed_at = clock_timestamp(), outcome = $2, note = NULLIF($3, '')
     WHERE id = $1
    RETURNING extract(epoch FROM clock_timestamp() - received_at)::float8
)sql"};

constexpr Statement prune_inbox_rows{"prune_inbox_rows", R"sql(
    WITH doomed AS (
        SELECT id FROM oura.webhook_inbox
         WHERE processed_at IS NOT NULL AND received_at < now() - $1::bigint * interval '1 second'
         ORDER BY received_at
         LIMIT $2
    )
    DELETE FROM oura.webhook_inbox i USING doomed WHERE i.id = doomed.id
)sql"};

constexpr Statement prune_document_events{"prune_document_events", R"sql(
    WITH doomed AS (
        SELECT oura_user_id, data_type, object_id FROM oura.webhook_document_events
         WHERE applied_at < now() - $1::bigint * interval '1 second'
         ORDER BY applied_at
         LIMIT $2
    )
    DELETE FROM oura.webhook_document_events d USING doomed
     WHERE d.oura_user_id = doomed.oura_user_id AND d.data_type = doomed.data_type AND d.object_id = doomed.object_id
)sql"};

constexpr Statement prune_jobs{"prune_jobs", R"sql(
    WITH doomed AS (
        SELECT id FROM oura.jobs
         WHERE (state IN ('succeeded', 'failed', 'cancelled') AND finished_at < now() - $1::bigint * interval '1 second')
            OR (state = 'dead' AND finished_at < now() - $2::bigint * interval '1 second')
         ORDER BY finished_at
         LIMIT $3
    )
    DELETE FROM oura.jobs j USING doomed WHERE j.id = doomed.id
)sql"};

constexpr Statement count_inbox{"count_inbox", R"sql(
    SELECT count(*), count(*) FILTER (WHERE processed_at IS NULL),
           count(*) FILTER (WHERE processed_at IS NULL AND job_id IS NULL)
      FROM oura.webhook_inbox
)sql"};

constexpr Statement upsert_subscription{"upsert_subscription", R"sql(
    INSERT INTO oura.webhook_subscriptions (id, callback_url, event_type, data_type, expiration_time, renewed_at)
    VALUES ($1, $2, $3, $4, $5::timestamptz, CASE WHEN $6 THEN now() END)
    ON CONFLICT (id) DO UPDATE
       SET callback_url = EXCLUDED.callback_url, event_type = EXCLUDED.event_type, data_type = EXCLUDED.data_type,
           expiration_time = EXCLUDED.expiration_time,
           renewed_at = COALESCE(EXCLUDED.renewed_at, webhook_subscriptions.renewed_at),
           last_error = NULL, last_error_at = NULL
)sql"};

// The target key is unique too: a subscription Oura re-created under a new id replaces the old row.
constexpr Statement delete_subscription_target{"delete_subscription_target", R"sql(
    DELETE FROM oura.webhook_subscriptions WHERE callback_url = $1 AND event_type = $2 AND data_type = $3 AND id <> $4
)sql"};

constexpr Statement delete_subscriptions_except{"delete_subscriptions_except", R"sql(
    DELETE FROM oura.webhook_subscriptions WHERE NOT (id = ANY ($1::text[]))
)sql"};

constexpr Statement delete_subscription_row{"delete_subscription_row", R"sql(
    DELETE FROM oura.webhook_subscriptions WHERE id = $1
)sql"};

constexpr Statement note_subscription_error{"note_subscription_error", R"sql(
    UPDATE oura.webhook_subscriptions SET last_error = $2, last_error_at = now() WHERE id = $1
)sql"};

std::string id_array(const std::vector<long long>& ids) {
    std::string out = "{";
    for (std::size_t i = 0; i < ids.size(); ++i) out += (i ? "," : "") + std::to_string(ids[i]);
    return out + "}";
}

}  // namespace

std::vector<InboxOutcome> record_deliveries(pqxx::work& tx, const std::vector<InboxDelivery>& deliveries) {
    std::vector<InboxOutcome> outcomes(deliveries.size(), InboxOutcome::duplicate);
    if (deliveries.empty()) return outcomes;
    std::vector<std::string> event_types, data_types, object_ids, event_times, users, bodies;
    for (const auto& d : deliveries) {
        event_types.push_back(d.event_type);
        data_types.push_back(d.data_type);
        object_ids.push_back(d.object_id);
        event_times.push_back(d.event_time);
        users.push_back(d.oura_user_id);
        bodies.push_back(d.body);
    }
    auto rows = exec(tx, insert_deliveries, to_pg_array(event_types), to_pg_array(data_types), to_pg_array(object_ids),
                     to_pg_array(event_times), to_pg_array(users), to_pg_array(bodies), std::string(webhook_job_kind),
                     webhook_job_priority);
    std::vector<long long> inbox_ids, job_ids;
    for (const auto& row : rows) {
        auto position = row[0].as<long long>() - 1;
        bool queued = !row[2].is_null();
        outcomes.at(static_cast<std::size_t>(position)) = queued ? InboxOutcome::accepted : InboxOutcome::unknown_user;
        if (queued) {
            inbox_ids.push_back(row[1].as<long long>());
            job_ids.push_back(row[2].as<long long>());
        }
    }
    if (!inbox_ids.empty()) exec(tx, link_inbox_jobs, id_array(inbox_ids), id_array(job_ids));
    return outcomes;
}

std::vector<InboxOutcome> commit_deliveries(Pool& pool, const std::vector<InboxDelivery>& deliveries) {
    try {
        return pool.transact([&](Transaction& tx) { return record_deliveries(tx, deliveries); });
    } catch (const pqxx::sql_error& e) {
        if (is_data_error(e.sqlstate())) throw delivery_rejected("SQLSTATE " + e.sqlstate() + ": " + e.what());
        throw;
    }
}

long long enqueue_waiting_deliveries(pqxx::work& tx, long long user_id, const std::string& oura_user_id) {
    auto rows = exec(tx, enqueue_waiting, user_id, oura_user_id, std::string(webhook_job_kind), webhook_job_priority);
    std::vector<long long> inbox_ids, job_ids;
    for (const auto& row : rows) {
        inbox_ids.push_back(row[0].as<long long>());
        job_ids.push_back(row[1].as<long long>());
    }
    if (!inbox_ids.empty()) exec(tx, link_inbox_jobs, id_array(inbox_ids), id_array(job_ids));
    return static_cast<long long>(inbox_ids.size());
}

long long enqueue_all_waiting_deliveries(pqxx::work& tx) {
    auto rows = exec(tx, enqueue_all_waiting, std::string(webhook_job_kind), webhook_job_priority);
    std::vector<long long> inbox_ids, job_ids;
    for (const auto& row : rows) {
        inbox_ids.push_back(row[0].as<long long>());
        job_ids.push_back(row[1].as<long long>());
    }
    if (!inbox_ids.empty()) exec(tx, link_inbox_jobs, id_array(inbox_ids), id_array(job_ids));
    return static_cast<long long>(inbox_ids.size());
}

std::optional<InboxEvent> load_inbox_event(pqxx::transaction_base& tx, long long inbox_id) {
    auto r = exec(tx, select_inbox_event, inbox_id);
    if (r.empty()) return std::nullopt;
    const auto& row = r[0];
    return InboxEvent{row[0].as<long long>(),   row[1].as<std::string>(), row[2].as<std::string>(),
                      row[3].as<std::string>(), row[4].as<std::string>(), row[5].as<std::string>(),
                      row[6].as<bool>()};
}

bool claim_document_order(pqxx::work& tx, const InboxEvent& event) {
    return exec(tx, claim_document_event, event.id).size() == 1;
}

double finish_inbox_event(pqxx::work& tx, long long inbox_id, const std::string& outcome, const std::string& note) {
    auto r = exec(tx, finish_inbox, inbox_id, outcome, note);
    return r.empty() ? 0.0 : r[0][0].as<double>();
}

long long prune_inbox(pqxx::work& tx, std::chrono::seconds age, long long limit) {
    auto n = static_cast<long long>(exec(tx, prune_inbox_rows, static_cast<long long>(age.count()), limit).affected_rows());
    n += static_cast<long long>(exec(tx, prune_document_events, static_cast<long long>(age.count()), limit).affected_rows());
    return n;
}

long long prune_jobs_keeping_dead(pqxx::work& tx, std::chrono::seconds age, std::chrono::seconds dead_age, long long limit) {
    return static_cast<long long>(
        exec(tx, prune_jobs, static_cast<long long>(age.count()), static_cast<long long>(dead_age.count()), limit)
            .affected_rows());
}

void save_subscription(pqxx::work& tx, const SubscriptionRow& row, bool renewed) {
    exec(tx, delete_subscription_target, row.callback_url, row.event_type, row.data_type, row.id);
    exec(tx, upsert_subscription, row.id, row.callback_url, row.event_type, row.data_type, row.expiration_time, renewed);
}

long long forget_subscriptions_except(pqxx::work& tx, const std::vector<std::string>& ids) {
    return static_cast<long long>(exec(tx, delete_subscriptions_except, to_pg_array(ids)).affected_rows());
}

void forget_subscription(pqxx::work& tx, const std::string& id) { exec(tx, delete_subscription_row, id); }

void record_subscription_error(pqxx::work& tx, const std::string& id, const std::string& error) {
    exec(tx, note_subscription_error, id, error.substr(0, 1000));
}

InboxStats inbox_stats(pqxx::transaction_base& tx) {
    auto row = exec1(tx, count_inbox);
    return {row[0].as<long long>(), row[1].as<long long>(), row[2].as<long long>()};
}

}  // namespace oura::store
