#include "oura/sync/webhook_processor.hpp"

#include "oura/api/catalog.hpp"
#include "oura/core/json.hpp"
#include "oura/store/documents.hpp"
#include "oura/store/webhooks.hpp"

namespace oura::sync {
namespace {

store::DocumentShape shape_of(const api::Resource& r) { return {r.day_field, r.start_field, r.end_field}; }

std::optional<long long> inbox_id_of(const std::string& payload) {
    try {
        auto doc = core::parse_json(payload);
        if (doc.IsObject() && doc.HasMember("inbox_id") && doc["inbox_id"].IsInt64()) return doc["inbox_id"].GetInt64();
    } catch (const std::exception&) {
    }
    return std::nullopt;
}

bool grant_unusable(const api::api_error& e) {
    return e.kind() == api::ErrorKind::invalid_grant || e.kind() == api::ErrorKind::expired_token;
}

}  // namespace

std::string_view to_string(JobOutcome outcome) {
    switch (outcome) {
        case JobOutcome::completed: return "completed";
        case JobOutcome::retried: return "retried";
        case JobOutcome::failed: return "failed";
        case JobOutcome::dead: return "dead";
        case JobOutcome::parked: return "parked";
        case JobOutcome::lease_lost: return "lease_lost";
    }
    return "completed";
}

WebhookProcessor::WebhookProcessor(store::Pool& pool, api::OuraClient& client, TokenProvider& tokens,
                                   const core::Logger& log, WebhookProcessorOptions options)
    : pool_(pool), client_(client), tokens_(tokens), log_(log), options_(std::move(options)) {}

ProcessResult WebhookProcessor::process(const store::ClaimedJob& job) {
    ProcessResult result;
    // Ends the job with the inbox row finished, unless a newer event of the document was applied
    // first (then it is superseded and `write` is skipped).
    auto finish = [&](const std::string& outcome, const std::string& note, auto&& write, long long inbox_id,
                      const store::InboxEvent* event) {
        pool_.transact([&](store::Transaction& tx) {
            std::string final_outcome = outcome;
            if (event && !store::claim_document_order(tx, *event))
                final_outcome = "superseded";
            else
                write(tx);
            result.lag_seconds = store::finish_inbox_event(tx, inbox_id, final_outcome, note);
            store::complete(tx, job.id, job.generation);
            result.inbox_outcome = final_outcome;
        });
        result.job = JobOutcome::completed;
    };
    auto nothing = [](store::Transaction&) {};
    auto fail = [&](const std::string& error, bool retryable, long long inbox_id, const store::RetryPolicy& policy) {
        result.error = error;
        pool_.transact([&](store::Transaction& tx) {
            auto outcome = store::fail(tx, job.id, job.generation, error, retryable, policy);
            if (outcome == store::FailOutcome::retrying) {
                result.job = JobOutcome::retried;
                return;
            }
            result.job = outcome == store::FailOutcome::dead ? JobOutcome::dead : JobOutcome::failed;
            if (inbox_id > 0) result.lag_seconds = store::finish_inbox_event(tx, inbox_id, "failed", error);
            result.inbox_outcome = "failed";
        });
    };

    try {
        auto inbox_id = inbox_id_of(job.payload);
        if (!inbox_id) {
            fail("payload has no inbox_id", false, 0, options_.retry);
            return result;
        }
        auto event = pool_.transact([&](store::Transaction& tx) { return store::load_inbox_event(tx, *inbox_id); });
        if (!event || event->processed) {
            // Pruned, or finished already (a job queued twice for one row): nothing to redo.
            pool_.transact([&](store::Transaction& tx) { store::complete(tx, job.id, job.generation); });
            result.job = JobOutcome::completed;
            return result;
        }
        const api::Resource* resource = api::find_by_webhook_type(event->data_type);
        if (!resource || !resource->single_document_route || !job.user_id) {
            std::string note = !job.user_id ? "job has no user"
                                            : "no REST collection to fetch data_type '" + event->data_type + "' from";
            finish("unsupported", note, nothing, event->id, nullptr);
            return result;
        }
        const long long user_id = *job.user_id;
        const std::vector<std::string> ids{event->object_id};
        if (event->event_type == "delete") {
            finish("deleted", "",
                   [&](store::Transaction& tx) { store::delete_documents(tx, user_id, resource->name, ids); },
                   event->id, &*event);
            return result;
        }

        std::optional<std::string> document;
        try {
            auto token = tokens_.access_token(user_id);
            try {
                document = client_.fetch_document(token, *resource, event->object_id);
            } catch (const api::api_error& e) {
                if (e.kind() != api::ErrorKind::expired_token) throw;
                token = tokens_.refresh_after_rejection(user_id, token);
                document = client_.fetch_document(token, *resource, event->object_id);
            }
        } catch (const api::api_error& e) {
            if (grant_unusable(e)) {
                result.error = e.what();
                pool_.transact([&](store::Transaction& tx) {
                    store::park(tx, job.id, job.generation, "the user's grant is unusable: they must connect again");
                });
                result.job = JobOutcome::parked;
                return result;
            }
            auto policy = options_.retry;
            if (e.retry_after()) policy.base = std::max<std::chrono::milliseconds>(policy.base, *e.retry_after());
            fail(std::string("fetching the document: ") + e.what(), api::is_transient(e.kind()), event->id, policy);
            return result;
        }

        if (!document) {
            if (job.attempt < options_.not_found_attempts) {
                auto policy = options_.retry;
                policy.base = options_.not_found_retry_base;
                policy.cap = options_.not_found_retry_base * 8;
                fail("Oura answered 404 for the document; retrying", true, event->id, policy);
                return result;
            }
            std::string note = "Oura answered 404 on " + std::to_string(job.attempt) + " attempts: treated as deleted";
            finish("not_found", note,
                   [&](store::Transaction& tx) { store::delete_documents(tx, user_id, resource->name, ids); },
                   event->id, &*event);
            return result;
        }
        store::WriteCounts counts;
        finish("applied", "",
               [&](store::Transaction& tx) {
                   counts = store::upsert_documents(tx, user_id, resource->name, shape_of(*resource), {*document});
               },
               event->id, &*event);
        for (const auto& issue : counts.issues)
            log_.warn("document stored raw with a problem", {{"user_id", user_id},
                                                              {"resource", issue.resource},
                                                              {"document_id", issue.document_id},
                                                              {"problem", issue.problem}});
        return result;
    } catch (const store::lease_lost& e) {
        result.job = JobOutcome::lease_lost;
        result.error = e.what();
        return result;
    } catch (const store::retryable_error& e) {
        // The database's failure: record the retry if it is back (if not, this throws and the
        // lease expiring hands the job to the next claim).
        fail(std::string("database: ") + e.what(), true, 0, options_.retry);
        return result;
    }
}

}  // namespace oura::sync
