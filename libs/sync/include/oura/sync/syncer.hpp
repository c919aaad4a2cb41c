#pragma once
// The resource sync every ingestion path uses (poller, backfill chunks, webhook jobs): fetch a
// window of one resource for one user, write it through the store, record the outcome.

#include <optional>
#include <string>
#include <vector>

#include "oura/api/catalog.hpp"
#include "oura/api/client.hpp"
#include "oura/api/window.hpp"
#include "oura/core/log.hpp"
#include "oura/store/database.hpp"
#include "oura/store/documents.hpp"
#include "oura/sync/token_provider.hpp"

namespace oura::sync {

struct SyncResult {
    std::string resource;
    store::WriteCounts counts;
    std::string status = "ok";  // ok | error | scope_missing | forbidden
    std::string error;          // without secrets
    // The failure was the database's, not the data's (deadlock, timeout, lost connection): the
    // window wrote nothing of its failed page and the same sync later may well succeed.
    bool retryable = false;
    // The API error that failed the sync, when it was one (a job consumer parks a user's work on a
    // dead grant, retries transient kinds and stops on the rest).
    std::optional<api::ErrorKind> error_kind;
    long long pages = 0;
    bool ok() const { return status == "ok"; }
};

class Syncer {
public:
    Syncer(store::Pool& pool, api::OuraClient& client, TokenProvider& tokens, const core::Logger& log);

    // Date-mode and pageless resources: fetches [from, to] in windows within the resource's limit,
    // each padded by a day (the API's day edges are fuzzy), writes every page, and tombstones live
    // documents of those days that the API no longer returns. Time series: every sample of those
    // days. personal_info: the one document (and the user's Oura id). Never throws for API or
    // data errors: they come back in the result and in sync_state.
    SyncResult sync_window(long long user_id, const api::Resource& resource, api::Window window);

    // Time series over `window` (the user's local days at its offset) and back to the local day of
    // the newest stored sample when that is older (series_window in plan.hpp).
    SyncResult sync_since_last_sample(long long user_id, const api::Resource& resource, api::Window window);

    // One document by id (a webhook's object_id): upserted when Oura has it, tombstoned when not.
    SyncResult sync_document(long long user_id, const api::Resource& resource, const std::string& document_id);

private:
    template <typename F>
    auto with_token(long long user_id, F&& call);
    SyncResult run(long long user_id, const api::Resource& resource, const std::function<void(SyncResult&)>& work);
    // Logs each document stored with a problem and skipped samples; throws (failing the window,
    // recorded in sync_state) when a document was malformed or not projected.
    void report_data_problems(long long user_id, const SyncResult& result);

    store::Pool& pool_;
    api::OuraClient& client_;
    TokenProvider& tokens_;
    const core::Logger& log_;
};

// sync_state status for an API error kind.
std::string state_for(api::ErrorKind kind);

}  // namespace oura::sync
