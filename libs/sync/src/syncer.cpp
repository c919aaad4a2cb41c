#include "oura/sync/syncer.hpp"

#include "oura/store/sync_records.hpp"
#include "oura/sync/discovery.hpp"
#include "oura/sync/plan.hpp"

namespace oura::sync {
namespace {

store::DocumentShape shape_of(const api::Resource& r) { return {r.day_field, r.start_field, r.end_field}; }

}  // namespace

std::string state_for(api::ErrorKind kind) {
    switch (kind) {
        case api::ErrorKind::missing_scope: return "scope_missing";
        case api::ErrorKind::forbidden: return "forbidden";
        default: return "error";
    }
}

Syncer::Syncer(store::Pool& pool, api::OuraClient& client, TokenProvider& tokens, const core::Logger& log)
    : pool_(pool), client_(client), tokens_(tokens), log_(log) {}

template <typename F>
auto Syncer::with_token(long long user_id, F&& call) {
    auto token = tokens_.access_token(user_id);
    try {
        return call(token);
    } catch (const api::api_error& e) {
        // Only an expired token is worth one refresh; a missing scope or 403 is not helped by it
        // and would burn a single-use refresh token.
        if (e.kind() != api::ErrorKind::expired_token) throw;
        token = tokens_.refresh_after_rejection(user_id, token);
        return call(token);
    }
}

SyncResult Syncer::run(long long user_id, const api::Resource& resource, const std::function<void(SyncResult&)>& work) {
    SyncResult result;
    result.resource = std::string(resource.name);
    auto fail = [&](const std::string& status, const std::string& error) {
        result.status = status;
        result.error = error;
        log_.warn("resource sync failed",
                  {{"user_id", user_id}, {"resource", resource.name}, {"status", status}, {"error", error}});
        try {
            pool_.with_connection([&](pqxx::connection& c) { store::record_failure(c, user_id, result.resource, status, error); });
        } catch (const std::exception& e) {
            log_.error("cannot record sync failure", {{"error", e.what()}});
        }
    };
    try {
        work(result);
    } catch (const api::api_error& e) {
        fail(state_for(e.kind()), e.what());
    } catch (const std::exception& e) {
        fail("error", e.what());
    }
    return result;
}

SyncResult Syncer::sync_window(long long user_id, const api::Resource& resource, api::Window window) {
    return run(user_id, resource, [&](SyncResult& result) {
        const bool pageless = resource.mode == api::DateMode::none || resource.mode == api::DateMode::single;
        auto windows = pageless ? std::vector<api::Window>{window} : api::plan_windows(resource, window);
        std::optional<std::string> last_sample;
        for (const auto& w : windows) {
            // query_for pads date windows by a day on each side; deletions are judged inside `w` only.
            auto query = pageless ? api::QueryParams{} : api::query_for(resource, w);
            std::vector<std::string> seen;
            store::WriteCounts window_counts;
            with_token(user_id, [&](const std::string& token) {
                seen.clear();
                client_.fetch_collection(token, resource, query, [&](api::Page&& page) {
                    ++result.pages;
                    pool_.with_connection([&](pqxx::connection& c) {
                        pqxx::work tx(c);
                        store::WriteCounts counts;
                        if (resource.name == "heartrate") counts = store::upsert_heart_rate(tx, user_id, page.items);
                        else if (resource.name == "ring_battery_level")
                            counts = store::upsert_battery_levels(tx, user_id, page.items);
                        else
                            counts = store::upsert_documents(tx, user_id, resource.name,
                                                             shape_for(resource, page.items), page.items, &seen);
                        tx.commit();
                        window_counts += counts;
                    });
                });
            });
            // The whole window came back: what the API no longer has inside it was deleted.
            pool_.with_connection([&](pqxx::connection& c) {
                pqxx::work tx(c);
                if (!resource.time_series) {
                    if (resource.mode == api::DateMode::date)
                        window_counts += store::delete_missing(tx, user_id, resource.name, core::format_date(w.from),
                                                               core::format_date(w.to), seen);
                    else if (resource.mode == api::DateMode::none)
                        window_counts += store::delete_missing(tx, user_id, resource.name, "", "", seen);
                }
                tx.commit();
            });
            result.counts += window_counts;
        }
        if (result.counts.projection_failures > 0)
            throw std::runtime_error("stored raw, but " + std::to_string(result.counts.projection_failures) +
                                     " document(s) could not be projected (fix the mapping, then reproject): " +
                                     result.counts.projection_error);
        if (resource.time_series)
            last_sample = pool_.with_connection(
                [&](pqxx::connection& c) { return store::latest_sample(c, user_id, resource.name); });
        pool_.with_connection([&](pqxx::connection& c) {
            pqxx::work tx(c);
            store::SyncSuccess success;
            if (!pageless) {
                success.window_start_day = core::format_date(window.from);
                success.window_end_day = core::format_date(window.to);
            }
            success.last_sample_at = last_sample;
            store::record_success(tx, user_id, result.resource, success);
            tx.commit();
        });
        log_.debug("resource synced", {{"user_id", user_id},
                                       {"resource", resource.name},
                                       {"inserted", result.counts.inserted},
                                       {"updated", result.counts.updated},
                                       {"unchanged", result.counts.unchanged},
                                       {"deleted", result.counts.deleted}});
    });
}

SyncResult Syncer::sync_since_last_sample(long long user_id, const api::Resource& resource, api::Window window) {
    std::optional<core::Seconds> newest;
    try {
        auto latest = pool_.with_connection([&](pqxx::connection& c) { return store::latest_sample(c, user_id, resource.name); });
        if (auto t = latest ? core::parse_datetime(*latest) : std::nullopt) newest = t->utc;
    } catch (const std::exception&) {
        // sync_window records the database failure in a moment.
    }
    return sync_window(user_id, resource, series_window(window, newest));
}

SyncResult Syncer::sync_document(long long user_id, const api::Resource& resource, const std::string& document_id) {
    return run(user_id, resource, [&](SyncResult& result) {
        auto doc = with_token(user_id, [&](const std::string& token) {
            return client_.fetch_document(token, resource, document_id);
        });
        pool_.with_connection([&](pqxx::connection& c) {
            pqxx::work tx(c);
            result.counts = doc ? store::upsert_documents(tx, user_id, resource.name, shape_of(resource), {*doc})
                                : store::delete_documents(tx, user_id, resource.name, {document_id});
            tx.commit();
        });
    });
}

}  // namespace oura::sync
