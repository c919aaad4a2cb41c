#pragma once
// The simulator's documents: per user and collection, kept sorted the way the API pages them,
// with an id index for the single-document routes. Filled from the generator or from recorded
// fixtures; changed by the control API (revise, delete, add, advance). Thread-safe: readers share
// a lock, changes take it exclusively.

#include <rapidjson/document.h>

#include <chrono>
#include <deque>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "dataset.hpp"
#include "sim_catalog.hpp"

namespace oura::sim {

struct StoreOptions {
    GeneratorOptions generator;  // users, days, seed, end_day (the simulator's first "today")
    std::string fixtures_dir;    // non-empty: serve DIR/<user>/<resource>.json instead of generated data
};

struct UserSummary {
    int index = 0;
    std::string oura_user_id;
    std::string email;  // empty when personal_info has none
};

// A document that appeared, changed or went away, for webhook events.
struct Change {
    int user = 0;
    std::string resource;
    std::string document_id;
    std::string operation;  // create | update | delete
};

class Store {
public:
    // Generates (in parallel) or loads everything; throws std::runtime_error naming a bad fixture.
    explicit Store(StoreOptions options);

    std::size_t user_count() const;
    // By Oura user id or by index ("0", "1", …).
    std::optional<int> find_user(std::string_view id_or_index) const;
    UserSummary user(int index) const;
    std::vector<UserSummary> users() const;
    std::string personal_info(int user) const;  // the full body, every field

    std::chrono::sys_days today() const;  // the last local day with data; moves with advance()
    bool generated() const { return options_.fixtures_dir.empty(); }

    // A collection this store serves: the catalog's, or one only a fixture folder has (a
    // collection Oura added after the catalog was written); nullptr when neither.
    const ResourceInfo* resource(std::string_view name) const;
    // The fixture-only collections, sorted by name (they stay known after a reset).
    std::vector<ResourceInfo> extra_resources() const;

    // Calls `read` with the collection's documents under the shared lock (empty span when none).
    // Documents are not filtered by time: callers hide those whose visible_at is after their now.
    void read(int user, std::string_view resource, const std::function<void(std::span<const Document>)>& read) const;
    // `now` (Unix seconds): documents not visible yet are not there.
    std::optional<std::string> document(int user, std::string_view resource, std::string_view id,
                                        std::int64_t now = std::numeric_limits<std::int64_t>::max()) const;
    // {"data":[every document visible at `now`]} — the bytes the API serves, unpaged.
    std::string truth(int user, std::string_view resource,
                      std::int64_t now = std::numeric_limits<std::int64_t>::max()) const;
    // Documents (with an id) whose visible_at lies in (after, until]: what appeared while the
    // simulated clock moved from `after` to `until`.
    std::vector<Change> appeared(std::int64_t after, std::int64_t until) const;

    // Changes the document deterministically (or sets the members of `set`); the new JSON, or nullopt if absent.
    std::optional<std::string> revise(int user, std::string_view resource, std::string_view id,
                                      const rapidjson::Value* set);
    bool remove(int user, std::string_view resource, std::string_view id);
    // Adds (or replaces, by id) a document given as a JSON object; throws std::invalid_argument.
    Change add(int user, std::string_view resource, std::string_view json);
    // Moves today forward to `day` (never back), generating the days in between (generator mode).
    void advance_to(std::chrono::sys_days day);
    // Back to the state at start.
    void reset();

private:
    struct Collection {
        std::vector<Document> docs;
        std::unordered_map<std::string, std::size_t> by_id;
        void reindex();
    };
    struct UserData {
        UserProfile profile;
        std::string email;
        std::map<std::string, Collection, std::less<>> collections;
    };

    void load();
    void load_generated();
    void load_fixtures();
    void append_days(std::chrono::sys_days first, std::chrono::sys_days last);
    Windowing windowing_of(std::string_view resource) const;
    const ResourceInfo* add_extra(std::string_view name, Windowing windowing);
    void sort(std::string_view resource, Collection& c) const;

    StoreOptions options_;
    mutable std::shared_mutex mutex_;
    std::vector<UserData> users_;
    std::chrono::sys_days today_{};
    // Fixture-only collections; never shrinks, so a ResourceInfo handed out stays valid.
    mutable std::shared_mutex extras_mutex_;
    std::deque<std::string> extra_names_;
    std::deque<ResourceInfo> extras_;
};

// ---- pure helpers (unit-tested) ----

// The default revision: bumps the first score-like integer (down from 100), else a nested
// contributor number, else marks a text field; `set` members, when given, replace members instead.
std::string revise_json(std::string_view json, const rapidjson::Value* set);

// Fills `day`, `ts` and `visible_at` of a document from its own fields (day/start_day, timestamp,
// bedtime_start, start_datetime, start_time, set_up_at; the end of a span: bedtime_end,
// end_datetime, end_time) and its id; false when a date-mode document has no day.
bool derive_keys(const rapidjson::Value& item, Windowing windowing, Document& out);

// Whether a < b in the order the store keeps (and pages) a collection.
bool document_before(Windowing windowing, const Document& a, const Document& b);

}  // namespace oura::sim
