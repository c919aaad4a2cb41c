#pragma once
// The webhook edge's rows: the inbox (every verified delivery, committed before the 2xx), the
// per-document event order, retention, the application's subscriptions and pending OAuth states.

#include <pqxx/pqxx>

#include <stdexcept>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace oura::store {

class Pool;

// The job kind and priority of a delivery to apply (contracts: webhook before backfill chunks).
inline constexpr const char* webhook_job_kind = "webhook_event";
inline constexpr int webhook_job_priority = 10;

struct InboxDelivery {
    std::string event_type, data_type, object_id;
    std::string event_time;  // ISO 8601 as sent (parse_event checked it)
    std::string oura_user_id;
    std::string body;  // the raw JSON body
};

enum class InboxOutcome {
    accepted,      // new row and a webhook_event job
    duplicate,     // the same delivery (user, data type, object, event type, event time) was already in
    unknown_user,  // new row, no job: no user has this Oura id yet (queued when they connect)
};

// Inserts the deliveries (one statement for the batch, ON CONFLICT DO NOTHING on the delivery key)
// and one job per new row whose Oura user is known, in `tx`; the caller commits. The result is in
// the order of `deliveries`; a delivery repeated inside the batch is accepted once and a duplicate
// after. Throws pqxx errors (a body that is not valid jsonb, an event_time PostgreSQL cannot read).
std::vector<InboxOutcome> record_deliveries(pqxx::work& tx, const std::vector<InboxDelivery>& deliveries);

// The database refused a delivery's values (SQLSTATE class 22 or 23514: a body that is not valid
// jsonb, an event_time PostgreSQL cannot read). Retrying cannot help; the message names the SQLSTATE.
class delivery_rejected : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// record_deliveries in its own transaction on a pooled connection, committed before it returns.
// Throws delivery_rejected (nothing written), database_unavailable or retryable_error.
std::vector<InboxOutcome> commit_deliveries(Pool& pool, const std::vector<InboxDelivery>& deliveries);

// Queues the jobs of deliveries kept for an Oura user who was unknown when they came; returns how many.
long long enqueue_waiting_deliveries(pqxx::work& tx, long long user_id, const std::string& oura_user_id);

// The same for every user who has connected since (the poller's sweep: it also catches a delivery
// whose commit raced with its user's OAuth callback). Returns how many jobs it queued.
long long enqueue_all_waiting_deliveries(pqxx::work& tx);

struct InboxEvent {
    long long id = 0;
    std::string event_type, data_type, object_id, event_time, oura_user_id;
    bool processed = false;
};
std::optional<InboxEvent> load_inbox_event(pqxx::transaction_base& tx, long long inbox_id);

// Records `event` as the newest applied to its document unless a newer one was (a delete wins a
// tie), holding the document's row lock until `tx` ends so concurrent events of one document apply
// one after the other. False: a newer event was applied; this one is superseded.
bool claim_document_order(pqxx::work& tx, const InboxEvent& event);

// Marks the inbox row processed with `outcome` (see migration 0013) and returns the seconds from its
// receipt until now (the processing lag).
double finish_inbox_event(pqxx::work& tx, long long inbox_id, const std::string& outcome, const std::string& note);

// Retention, in bounded batches: processed inbox rows (and document-order rows) received more than
// `age` ago, at most `limit` per call; finished jobs older than `age` (dead ones older than
// `dead_age`). Each returns how many rows it deleted; call again until it returns less than `limit`.
long long prune_inbox(pqxx::work& tx, std::chrono::seconds age, long long limit);
long long prune_jobs_keeping_dead(pqxx::work& tx, std::chrono::seconds age, std::chrono::seconds dead_age, long long limit);

// The mirror of the application's subscriptions (oura.webhook_subscriptions).
struct SubscriptionRow {
    std::string id, callback_url, event_type, data_type;
    std::string expiration_time;  // as Oura sent it (ISO 8601)
};
// Inserts or updates by id; `renewed` stamps renewed_at; clears last_error.
void save_subscription(pqxx::work& tx, const SubscriptionRow& row, bool renewed);
// Removes every row whose id is not in `ids` (Oura no longer has them); returns how many.
long long forget_subscriptions_except(pqxx::work& tx, const std::vector<std::string>& ids);
void forget_subscription(pqxx::work& tx, const std::string& id);
// A failed renew of a known subscription, for operators; `error` holds no secret.
void record_subscription_error(pqxx::work& tx, const std::string& id, const std::string& error);

// Counts for operators and tests.
struct InboxStats {
    long long total = 0, unprocessed = 0, waiting_for_user = 0;
};
InboxStats inbox_stats(pqxx::transaction_base& tx);

}  // namespace oura::store
