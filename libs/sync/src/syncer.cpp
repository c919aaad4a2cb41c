#include "oura/sync/syncer.hpp"

#include <condition_variable>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>

#include "oura/store/sync_records.hpp"
#include "oura/sync/discovery.hpp"
#include "oura/sync/plan.hpp"

namespace oura::sync {
namespace {

store::DocumentShape shape_of(const api::Resource& r) { return {r.day_field, r.start_field, r.end_field}; }

// Runs a sync's writes on a thread of its own, in the order they were pushed, while the caller
// fetches the next page: one page's transaction overlaps the next page's request and parsing (a
// 3-year heart-rate pass was a request, then a write, then a request: 8.2 s, the database idle
// half of it; 6.5 s so). In order, so a window's deletions judge the ids its pages wrote, and a
// time series is stored without holes: a page is committed only after every earlier one, and
// the first failed write drops the rest (the next sync starts from the newest stored sample, so
// a later page committed past a failed one would leave a gap no run refetches). At most two
// writes wait, so a fast API cannot pile pages up in memory. push() and finish() rethrow the
// failure, so the fetch stops as it did when it wrote the page itself. Destroyed without finish()
// (the fetch failed), it drops what waits and joins.
class PipelinedWriter {
public:
    using Write = std::function<store::WriteCounts()>;

    PipelinedWriter() : thread_([this] { run(); }) {}
    ~PipelinedWriter() {
        {
            std::lock_guard lock(mutex_);
            closed_ = true;
            writes_.clear();
        }
        changed_.notify_all();
        thread_.join();
    }
    PipelinedWriter(const PipelinedWriter&) = delete;
    PipelinedWriter& operator=(const PipelinedWriter&) = delete;

    void push(Write write) {
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [&] { return error_ || writes_.size() < depth; });
        if (error_) std::rethrow_exception(error_);
        writes_.push_back(std::move(write));
        changed_.notify_all();
    }

    // Waits until every pushed write ran: their counts, added up; rethrows the first failure.
    store::WriteCounts finish() {
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [&] { return error_ || (writes_.empty() && !busy_); });
        if (error_) std::rethrow_exception(error_);
        return counts_;
    }

private:
    static constexpr std::size_t depth = 2;

    void run() {
        std::unique_lock lock(mutex_);
        for (;;) {
            changed_.wait(lock, [&] { return closed_ || !writes_.empty(); });
            if (writes_.empty()) return;  // closed
            auto write = std::move(writes_.front());
            writes_.pop_front();
            busy_ = true;
            changed_.notify_all();
            lock.unlock();
            std::exception_ptr failed;
            store::WriteCounts counts;
            try {
                counts = write();
            } catch (...) {
                failed = std::current_exception();
            }
            lock.lock();
            busy_ = false;
            counts_ += counts;
            if (failed) {
                error_ = failed;
                writes_.clear();
            }
            changed_.notify_all();
        }
    }

    std::mutex mutex_;
    std::condition_variable changed_;
    std::deque<Write> writes_;
    bool busy_ = false;
    bool closed_ = false;
    std::exception_ptr error_;
    store::WriteCounts counts_;
    std::thread thread_;  // last: started once everything it uses exists
};

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

void Syncer::report_data_problems(long long user_id, const SyncResult& result) {
    const auto& c = result.counts;
    for (const auto& issue : c.issues)
        log_.warn("document stored raw with a problem", {{"user_id", user_id},
                                                          {"resource", issue.resource},
                                                          {"document_id", issue.document_id},
                                                          {"problem", issue.problem}});
    if (c.skipped_samples > 0)
        log_.warn("time-series rows skipped: null, missing or non-numeric values",
                  {{"user_id", user_id}, {"resource", result.resource}, {"skipped", c.skipped_samples}});
    // Every document is stored raw; what is missing is curated data, and sync_state says so until
    // a later sync of this resource succeeds cleanly.
    if (c.projection_failures == 0 && c.malformed_documents == 0) return;
    std::string message = "stored raw, but";
    if (c.malformed_documents > 0)
        message += " " + std::to_string(c.malformed_documents) + " document(s) have an unreadable day or time";
    if (c.projection_failures > 0)
        message += std::string(c.malformed_documents > 0 ? " and" : "") + " " + std::to_string(c.projection_failures) +
                   " document(s) could not be projected (fix the mapping, then reproject)";
    if (!c.issues.empty()) message += ": " + c.issues.front().resource + " " + c.issues.front().document_id + ": " + c.issues.front().problem;
    throw std::runtime_error(message);
}

SyncResult Syncer::run(long long user_id, const api::Resource& resource, const std::function<void(SyncResult&)>& work) {
    SyncResult result;
    result.resource = std::string(resource.name);
    auto fail = [&](const std::string& status, const std::string& error) {
        result.status = status;
        result.error = error;
        log_.warn("resource sync failed", {{"user_id", user_id},
                                           {"resource", resource.name},
                                           {"status", status},
                                           {"retryable", result.retryable},
                                           {"error", error}});
        try {
            pool_.transact([&](store::Transaction& tx) { store::record_failure(tx, user_id, result.resource, status, error); });
        } catch (const std::exception& e) {
            log_.error("cannot record sync failure", {{"error", e.what()}});
        }
    };
    try {
        work(result);
    } catch (const api::api_error& e) {
        result.error_kind = e.kind();
        fail(state_for(e.kind()), e.what());
    } catch (const store::retryable_error& e) {
        result.retryable = true;
        fail("error", e.what());
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
        // The ids of the window being written: the writer's alone.
        std::vector<std::string> seen;
        PipelinedWriter writer;
        for (const auto& w : windows) {
            // query_for pads date windows by a day on each side; deletions are judged inside `w` only.
            auto query = pageless ? api::QueryParams{} : api::query_for(resource, w);
            with_token(user_id, [&](const std::string& token) {
                writer.push([&seen] { seen.clear(); return store::WriteCounts{}; });  // a retried fetch starts over
                client_.fetch_collection(token, resource, query, [&](api::Page&& page) {
                    ++result.pages;
                    writer.push([&, page = std::make_shared<api::Page>(std::move(page))] {
                        auto seen_before = seen.size();
                        return pool_.transact([&](store::Transaction& tx) {
                            seen.resize(seen_before);  // a retry on a fresh connection starts the page over
                            if (resource.name == "heartrate") return store::upsert_heart_rate(tx, user_id, page->items);
                            if (resource.name == "ring_battery_level")
                                return store::upsert_battery_levels(tx, user_id, page->items);
                            return store::upsert_documents(tx, user_id, resource.name, shape_for(resource, page->items),
                                                           page->items, &seen);
                        });
                    });
                });
            });
            // The whole window came back: what the API no longer has inside it was deleted.
            if (!resource.time_series && (resource.mode == api::DateMode::date || resource.mode == api::DateMode::none)) {
                writer.push([&, w] {
                    return pool_.transact([&](store::Transaction& tx) {
                        if (resource.mode == api::DateMode::date)
                            return store::delete_missing(tx, user_id, resource.name, core::format_date(w.from),
                                                         core::format_date(w.to), seen);
                        return store::delete_missing(tx, user_id, resource.name, "", "", seen);
                    });
                });
            }
        }
        result.counts += writer.finish();
        report_data_problems(user_id, result);
        if (resource.time_series)
            last_sample = pool_.transact([&](store::Transaction& tx) { return store::latest_sample(tx, user_id, resource.name); });
        pool_.transact([&](store::Transaction& tx) {
            store::SyncSuccess success;
            if (!pageless) {
                success.window_start_day = core::format_date(window.from);
                success.window_end_day = core::format_date(window.to);
            }
            success.last_sample_at = last_sample;
            store::record_success(tx, user_id, result.resource, success);
        });
        log_.debug("resource synced", {{"user_id", user_id},
                                       {"resource", resource.name},
                                       {"inserted", result.counts.inserted},
                                       {"updated", result.counts.updated},
                                       {"unchanged", result.counts.unchanged},
                                       {"deleted", result.counts.deleted},
                                       {"skipped_samples", result.counts.skipped_samples}});
    });
}

SyncResult Syncer::sync_since_last_sample(long long user_id, const api::Resource& resource, api::Window window) {
    std::optional<core::Seconds> newest;
    try {
        auto latest =
            pool_.transact([&](store::Transaction& tx) { return store::latest_sample(tx, user_id, resource.name); });
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
        result.counts = pool_.transact([&](store::Transaction& tx) {
            return doc ? store::upsert_documents(tx, user_id, resource.name, shape_of(resource), {*doc})
                       : store::delete_documents(tx, user_id, resource.name, {document_id});
        });
        report_data_problems(user_id, result);
    });
}

}  // namespace oura::sync
