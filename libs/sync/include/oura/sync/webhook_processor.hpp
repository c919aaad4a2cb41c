#pragma once
// Applies one webhook delivery (a webhook_event job): fetches the single document with the user's
// token and writes it through the same store path as the poller, or tombstones it on `delete`.
// Events of one document apply in event-time order (store::claim_document_order), so a late
// `update` never resurrects a `delete`. Webhooks are hints; the poller's reconciliation stays the
// source of truth.

#include <chrono>
#include <optional>
#include <string>

#include "oura/api/client.hpp"
#include "oura/core/log.hpp"
#include "oura/store/database.hpp"
#include "oura/store/jobs.hpp"
#include "oura/sync/token_provider.hpp"

namespace oura::sync {

struct WebhookProcessorOptions {
    // A create/update whose document Oura answers 404 for is retried (Oura may deliver before its
    // read side has the document) this many attempts in all, then treated as deleted.
    int not_found_attempts = 3;
    std::chrono::milliseconds not_found_retry_base{std::chrono::seconds(2)};
    store::RetryPolicy retry;  // other transient failures (5xx, timeouts, the database)
};

enum class JobOutcome { completed, retried, failed, dead, parked, lease_lost };
std::string_view to_string(JobOutcome outcome);

struct ProcessResult {
    JobOutcome job = JobOutcome::completed;
    std::string inbox_outcome;          // applied, deleted, superseded, unsupported, not_found, failed; "" while retrying
    std::optional<double> lag_seconds;  // receipt → written, when the inbox row was finished
    std::string error;                  // why it did not complete (no secrets)
};

class WebhookProcessor {
public:
    WebhookProcessor(store::Pool& pool, api::OuraClient& client, TokenProvider& tokens, const core::Logger& log,
                     WebhookProcessorOptions options = {});
    // Never throws for Oura or data failures: they end the job (retry, fail, park) and come back in
    // the result. Throws only when even recording the outcome fails (the lease then expires and the
    // job is claimed again).
    ProcessResult process(const store::ClaimedJob& job);

private:
    store::Pool& pool_;
    api::OuraClient& client_;
    TokenProvider& tokens_;
    const core::Logger& log_;
    WebhookProcessorOptions options_;
};

}  // namespace oura::sync
