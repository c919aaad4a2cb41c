#include "sim_store.hpp"

#include <algorithm>
#include <atomic>
#include <exception>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "oura/core/json.hpp"
#include "oura/core/text.hpp"
#include "oura/core/time.hpp"

namespace oura::sim {
namespace {

namespace fs = std::filesystem;

// Generates days [first, last] of users [0, users) on every core; result[user][day - first].
std::vector<std::vector<DayDocuments>> generate_parallel(const GeneratorOptions& options, int users,
                                                         std::chrono::sys_days first, std::chrono::sys_days last) {
    const long days = (last - first).count() + 1;
    std::vector<std::vector<DayDocuments>> out(static_cast<std::size_t>(users));
    if (days <= 0 || users <= 0) return out;
    for (auto& u : out) u.resize(static_cast<std::size_t>(days));
    const long total = days * users;
    std::atomic<long> next{0};
    std::exception_ptr failure;
    std::mutex failure_mutex;
    auto work = [&] {
        for (long job; (job = next++) < total;) {
            int user = static_cast<int>(job / days);
            long day = job % days;
            try {
                out[static_cast<std::size_t>(user)][static_cast<std::size_t>(day)] =
                    generate_day(options, user, first + std::chrono::days(day));
            } catch (...) {
                std::lock_guard lock(failure_mutex);
                if (!failure) failure = std::current_exception();
                next = total;
            }
        }
    };
    unsigned workers = std::max(1u, std::min<unsigned>(std::thread::hardware_concurrency(), 8u));
    workers = static_cast<unsigned>(std::min<long>(workers, total));
    std::vector<std::thread> threads;
    for (unsigned i = 1; i < workers; ++i) threads.emplace_back(work);
    work();
    for (auto& t : threads) t.join();
    if (failure) std::rethrow_exception(failure);
    return out;
}

std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path.string());
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// The file's JSON, and its items (the "data" array, or the file itself when it is an array) as
// compact text with every number exactly as recorded: a trip through double would serve
// 123456789.123456789 rounded.
struct FixtureFile {
    rapidjson::Document doc;
    core::ExactArray exact;
};

FixtureFile parse_file(const fs::path& path) {
    try {
        auto text = read_file(path);
        return {core::parse_json(text), core::split_array_exact(text, "data")};
    } catch (const core::json_error& e) {
        throw std::runtime_error(path.string() + ": " + e.what());
    }
}

std::string compact_file(const fs::path& path) {
    try {
        return core::compact_json_exact(read_file(path));
    } catch (const core::json_error& e) {
        throw std::runtime_error(path.string() + ": " + e.what());
    }
}

// A fixture-only collection is paged by day when every item has one, else served whole.
Windowing extra_windowing(const rapidjson::Value& items) {
    for (const auto& item : items.GetArray()) {
        Document keys;
        derive_keys(item, Windowing::none, keys);
        if (keys.day.empty()) return Windowing::none;
    }
    return Windowing::date;
}

std::optional<std::string_view> string_member(const rapidjson::Value& obj, std::string_view key) {
    return core::get_string(obj, key);
}

void bump_int(rapidjson::Value& v) {
    auto x = v.GetInt64();
    v.SetInt64(x >= 100 ? x - 1 : x + 1);
}

bool bump_number(rapidjson::Value& v) {
    if (v.IsInt64()) {
        bump_int(v);
        return true;
    }
    if (v.IsDouble()) {
        double x = v.GetDouble();
        v.SetDouble(x >= 99.5 ? x - 0.5 : x + 0.5);
        return true;
    }
    return false;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Pure helpers

bool document_before(Windowing windowing, const Document& a, const Document& b) {
    if (windowing == Windowing::datetime) return a.ts < b.ts;
    if (a.day != b.day) return a.day < b.day;
    if (a.ts != b.ts) return a.ts < b.ts;
    return a.id < b.id;
}

bool derive_keys(const rapidjson::Value& item, Windowing windowing, Document& out) {
    if (!item.IsObject()) return false;
    out.id = std::string(string_member(item, "id").value_or(""));
    std::optional<std::string_view> instant;
    for (std::string_view key : {"timestamp", "bedtime_start", "start_datetime", "start_time", "set_up_at"})
        if ((instant = string_member(item, key))) break;
    out.ts = 0;
    if (instant)
        if (auto parsed = core::parse_datetime(*instant)) out.ts = parsed->utc.time_since_epoch().count();
    if (auto unix_ms = core::get_int(item, "timestamp_unix"); unix_ms && !instant) out.ts = *unix_ms / 1000;
    out.visible_at = out.ts;
    for (std::string_view key : {"bedtime_end", "end_datetime", "end_time"})
        if (auto end = string_member(item, key))
            if (auto parsed = core::parse_datetime(*end))
                out.visible_at = std::max(out.visible_at, std::int64_t{parsed->utc.time_since_epoch().count()});
    std::optional<std::string_view> day = string_member(item, "day");
    if (!day) day = string_member(item, "start_day");
    if (day)
        out.day = std::string(*day);
    else if (instant && instant->size() >= 10)
        out.day = std::string(instant->substr(0, 10));
    else
        out.day.clear();
    switch (windowing) {
        case Windowing::datetime:
            return instant.has_value();
        case Windowing::date:
            return !out.id.empty() && !out.day.empty();
        case Windowing::none:
            return !out.id.empty();
        case Windowing::personal:
            return true;
    }
    return false;
}

std::string revise_json(std::string_view json, const rapidjson::Value* set) {
    rapidjson::Document doc;
    doc.Parse(json.data(), json.size());
    if (doc.HasParseError() || !doc.IsObject()) return std::string(json);
    auto& alloc = doc.GetAllocator();
    if (set && set->IsObject()) {
        for (auto& m : set->GetObject()) {
            rapidjson::Value value(m.value, alloc);
            auto it = doc.FindMember(m.name);
            if (it != doc.MemberEnd())
                it->value = value;
            else
                doc.AddMember(rapidjson::Value(m.name, alloc), value, alloc);
        }
        return core::to_json(doc);
    }
    auto done = [&] { return core::to_json(doc); };
    // What an app re-sync changes most often: the score, then the headline measure.
    for (std::string_view key : {"score", "vo2_max", "vascular_age", "breathing_disturbance_index", "stress_high",
                                 "steps", "average_hrv", "lowest_heart_rate", "size"}) {
        auto it = doc.FindMember(rapidjson::StringRef(key.data(), key.size()));
        if (it != doc.MemberEnd() && it->value.IsInt64()) {
            bump_int(it->value);
            return done();
        }
    }
    auto contributors = doc.FindMember("contributors");
    if (contributors != doc.MemberEnd() && contributors->value.IsObject())
        for (auto& m : contributors->value.GetObject())
            if (bump_number(m.value)) return done();
    for (auto& m : doc.GetObject()) {
        std::string_view name(m.name.GetString(), m.name.GetStringLength());
        if (name != "timestamp_unix" && bump_number(m.value)) return done();
    }
    for (std::string_view key : {"comment", "text", "label", "custom_name"}) {
        auto it = doc.FindMember(rapidjson::StringRef(key.data(), key.size()));
        if (it == doc.MemberEnd()) continue;
        if (it->value.IsString()) {
            std::string s(it->value.GetString(), it->value.GetStringLength());
            s += " (revised)";
            it->value.SetString(s.c_str(), static_cast<rapidjson::SizeType>(s.size()), alloc);
            return done();
        }
        if (it->value.IsNull()) {
            it->value.SetString("revised", alloc);
            return done();
        }
    }
    return done();
}

// ---------------------------------------------------------------------------------------------
// Store

void Store::Collection::reindex() {
    by_id.clear();
    for (std::size_t i = 0; i < docs.size(); ++i)
        if (!docs[i].id.empty()) by_id[docs[i].id] = i;
}

Windowing Store::windowing_of(std::string_view name) const {
    auto info = resource(name);
    return info ? info->windowing : Windowing::date;
}

const ResourceInfo* Store::resource(std::string_view name) const {
    if (auto info = find_resource(name)) return info;
    std::shared_lock lock(extras_mutex_);
    for (const auto& r : extras_)
        if (r.name == name) return &r;
    return nullptr;
}

const ResourceInfo* Store::add_extra(std::string_view name, Windowing windowing) {
    std::unique_lock lock(extras_mutex_);
    // A reset reloads the same files: the collection is already known, unchanged.
    for (const auto& r : extras_)
        if (r.name == name) return &r;
    // No scope: Oura publishes none per collection, and a new collection's scope is unknown.
    extras_.push_back(ResourceInfo{extra_names_.emplace_back(name), windowing, "", ""});
    return &extras_.back();
}

std::vector<ResourceInfo> Store::extra_resources() const {
    std::shared_lock lock(extras_mutex_);
    std::vector<ResourceInfo> out(extras_.begin(), extras_.end());
    std::sort(out.begin(), out.end(), [](const ResourceInfo& a, const ResourceInfo& b) { return a.name < b.name; });
    return out;
}

void Store::sort(std::string_view resource, Collection& c) const {
    auto w = windowing_of(resource);
    auto less = [w](const Document& a, const Document& b) { return document_before(w, a, b); };
    if (!std::is_sorted(c.docs.begin(), c.docs.end(), less)) std::stable_sort(c.docs.begin(), c.docs.end(), less);
    c.reindex();
}

Store::Store(StoreOptions options) : options_(std::move(options)) {
    load();
}

void Store::load() {
    users_.clear();
    today_ = options_.generator.end_day;
    if (generated())
        load_generated();
    else
        load_fixtures();
}

void Store::load_generated() {
    const auto& g = options_.generator;
    for (auto& profile : generate_users(g)) {
        UserData u;
        u.profile = std::move(profile);
        auto info = core::parse_json(u.profile.personal_info_json);
        u.email = std::string(core::get_string(info, "email").value_or(""));
        users_.push_back(std::move(u));
    }
    for (std::size_t i = 0; i < users_.size(); ++i) {
        auto& c = users_[i].collections["ring_configuration"];
        c.docs = generate_ring_configurations(g, static_cast<int>(i));
    }
    append_days(g.end_day - std::chrono::days(g.days - 1), g.end_day);
    for (auto& u : users_)
        for (auto& [name, c] : u.collections) sort(name, c);
}

void Store::append_days(std::chrono::sys_days first, std::chrono::sys_days last) {
    auto days = generate_parallel(options_.generator, static_cast<int>(users_.size()), first, last);
    for (std::size_t u = 0; u < users_.size(); ++u) {
        std::map<std::string_view, std::size_t> added;
        for (const auto& day : days[u])
            for (const auto& [resource, docs] : day) added[resource] += docs.size();
        for (const auto& [resource, n] : added) {
            auto& c = users_[u].collections[std::string(resource)];
            c.docs.reserve(c.docs.size() + n);
        }
        for (auto& day : days[u]) {
            for (auto& [resource, docs] : day) {
                auto& c = users_[u].collections[resource];
                for (auto& d : docs) c.docs.push_back(std::move(d));
            }
        }
    }
}

void Store::load_fixtures() {
    fs::path root(options_.fixtures_dir);
    if (!fs::is_directory(root)) throw std::runtime_error("fixtures folder " + root.string() + " does not exist");
    std::vector<fs::path> dirs;
    for (const auto& e : fs::directory_iterator(root))
        if (e.is_directory()) dirs.push_back(e.path());
    std::sort(dirs.begin(), dirs.end());
    if (dirs.empty()) throw std::runtime_error("fixtures folder " + root.string() + " has no user folders");
    for (const auto& dir : dirs) {
        UserData u;
        std::string name = dir.filename().string();
        u.profile.oura_user_id = name;
        core::JsonWriter profile;
        profile.begin_object().field("id", name).end_object();  // a folder name may hold any character
        u.profile.personal_info_json = profile.take();
        std::vector<fs::path> files;
        for (const auto& e : fs::directory_iterator(dir))
            if (e.is_regular_file() && e.path().extension() == ".json") files.push_back(e.path());
        std::sort(files.begin(), files.end());
        for (const auto& file : files) {
            std::string resource = file.stem().string();
            auto parsed = parse_file(file);
            const auto& doc = parsed.doc;
            const rapidjson::Value* items = &doc;
            if (doc.IsObject() && doc.HasMember("data")) items = &doc["data"];
            const auto* info = this->resource(resource);
            if (!info) {
                // A collection the catalog does not know (Oura adds them): served as recorded, and
                // listed in the OpenAPI document, so a client can discover it.
                if (!items->IsArray() || !parsed.exact.found)
                    throw std::runtime_error(file.string() + ": expected {\"data\":[…]}");
                info = add_extra(resource, extra_windowing(*items));
            }
            if (info->windowing == Windowing::personal) {
                const rapidjson::Value* body = items->IsArray() && !items->Empty() ? &(*items)[0] : items;
                if (!body->IsObject()) throw std::runtime_error(file.string() + ": personal_info must be an object");
                u.profile.personal_info_json = items->IsArray() ? parsed.exact.items.at(0) : compact_file(file);
                if (auto id = core::get_string(*body, "id")) u.profile.oura_user_id = std::string(*id);
                u.email = std::string(core::get_string(*body, "email").value_or(""));
                continue;
            }
            if (!items->IsArray() || !parsed.exact.found)
                throw std::runtime_error(file.string() + ": expected {\"data\":[…]}");
            auto& c = u.collections[resource];
            for (rapidjson::SizeType i = 0; i < items->Size(); ++i) {
                Document d;
                bool keyed = derive_keys((*items)[i], info->windowing, d);
                // A fixture-only collection may hold documents without ids; the day (when it is
                // paged by day) is all it needs.
                if (!find_resource(resource))
                    keyed = (*items)[i].IsObject() && (info->windowing != Windowing::date || !d.day.empty());
                if (!keyed)
                    throw std::runtime_error(file.string() + ": item " + std::to_string(i) +
                                             " lacks the id, day or timestamp this collection is paged by");
                d.json = parsed.exact.items.at(i);
                c.docs.push_back(std::move(d));
            }
            sort(resource, c);
        }
        users_.push_back(std::move(u));
    }
}

std::size_t Store::user_count() const {
    std::shared_lock lock(mutex_);
    return users_.size();
}

std::optional<int> Store::find_user(std::string_view id_or_index) const {
    std::shared_lock lock(mutex_);
    for (std::size_t i = 0; i < users_.size(); ++i)
        if (users_[i].profile.oura_user_id == id_or_index) return static_cast<int>(i);
    if (auto index = core::parse_int(id_or_index, 0, static_cast<std::int64_t>(users_.size()) - 1))
        return static_cast<int>(*index);
    return std::nullopt;
}

UserSummary Store::user(int index) const {
    std::shared_lock lock(mutex_);
    const auto& u = users_.at(static_cast<std::size_t>(index));
    return {index, u.profile.oura_user_id, u.email};
}

std::vector<UserSummary> Store::users() const {
    std::shared_lock lock(mutex_);
    std::vector<UserSummary> out;
    for (std::size_t i = 0; i < users_.size(); ++i)
        out.push_back({static_cast<int>(i), users_[i].profile.oura_user_id, users_[i].email});
    return out;
}

std::string Store::personal_info(int user) const {
    std::shared_lock lock(mutex_);
    return users_.at(static_cast<std::size_t>(user)).profile.personal_info_json;
}

std::chrono::sys_days Store::today() const {
    std::shared_lock lock(mutex_);
    return today_;
}

void Store::read(int user, std::string_view resource,
                 const std::function<void(std::span<const Document>)>& read) const {
    std::shared_lock lock(mutex_);
    const auto& cols = users_.at(static_cast<std::size_t>(user)).collections;
    auto it = cols.find(resource);
    if (it == cols.end())
        read({});
    else
        read(std::span<const Document>(it->second.docs));
}

std::optional<std::string> Store::document(int user, std::string_view resource, std::string_view id,
                                           std::int64_t now) const {
    std::shared_lock lock(mutex_);
    const auto& cols = users_.at(static_cast<std::size_t>(user)).collections;
    auto it = cols.find(resource);
    if (it == cols.end()) return std::nullopt;
    auto pos = it->second.by_id.find(std::string(id));
    if (pos == it->second.by_id.end()) return std::nullopt;
    const auto& doc = it->second.docs[pos->second];
    if (doc.visible_at > now) return std::nullopt;
    return doc.json;
}

std::string Store::truth(int user, std::string_view resource, std::int64_t now) const {
    std::string out;
    core::JsonWriter w(out);
    w.begin_object().key("data").begin_array();
    // Stored documents are JSON already (generated or checked on the way in): copied as they are.
    if (resource == "personal_info") {
        w.raw(personal_info(user));
    } else {
        read(user, resource, [&](std::span<const Document> docs) {
            std::size_t size = 16;
            for (const auto& d : docs) size += d.json.size() + 1;
            out.reserve(size);
            for (const auto& d : docs)
                if (d.visible_at <= now) w.raw(d.json);
        });
    }
    w.end_array().end_object();
    return out;
}

std::vector<Change> Store::appeared(std::int64_t after, std::int64_t until) const {
    std::vector<Change> out;
    std::shared_lock lock(mutex_);
    for (std::size_t u = 0; u < users_.size(); ++u)
        for (const auto& [name, c] : users_[u].collections) {
            if (windowing_of(name) == Windowing::datetime) continue;  // samples have no ids to announce
            for (const auto& d : c.docs)
                if (!d.id.empty() && d.visible_at > after && d.visible_at <= until)
                    out.push_back({static_cast<int>(u), name, d.id, "create"});
        }
    return out;
}

std::optional<std::string> Store::revise(int user, std::string_view resource, std::string_view id,
                                         const rapidjson::Value* set) {
    std::unique_lock lock(mutex_);
    auto& cols = users_.at(static_cast<std::size_t>(user)).collections;
    auto it = cols.find(resource);
    if (it == cols.end()) return std::nullopt;
    auto pos = it->second.by_id.find(std::string(id));
    if (pos == it->second.by_id.end()) return std::nullopt;
    auto& doc = it->second.docs[pos->second];
    doc.json = revise_json(doc.json, set);
    if (set) {
        Document keys;
        auto parsed = core::parse_json(doc.json);
        if (derive_keys(parsed, windowing_of(resource), keys) && keys.id == doc.id) {
            doc.day = keys.day;
            doc.ts = keys.ts;
            sort(resource, it->second);
        }
    }
    return it->second.docs[it->second.by_id.at(std::string(id))].json;
}

bool Store::remove(int user, std::string_view resource, std::string_view id) {
    std::unique_lock lock(mutex_);
    auto& cols = users_.at(static_cast<std::size_t>(user)).collections;
    auto it = cols.find(resource);
    if (it == cols.end()) return false;
    auto pos = it->second.by_id.find(std::string(id));
    if (pos == it->second.by_id.end()) return false;
    it->second.docs.erase(it->second.docs.begin() + static_cast<long>(pos->second));
    it->second.reindex();
    return true;
}

Change Store::add(int user, std::string_view resource, std::string_view json) {
    const auto* info = find_resource(resource);
    if (!info || info->windowing == Windowing::personal) throw std::invalid_argument("not a document collection");
    rapidjson::Document parsed;
    try {
        parsed = core::parse_json(json);
    } catch (const core::json_error& e) {
        throw std::invalid_argument(e.what());
    }
    Document d;
    if (!derive_keys(parsed, info->windowing, d))
        throw std::invalid_argument("the document lacks the id, day or timestamp this collection is paged by");
    d.json = core::compact_json_exact(json);
    std::unique_lock lock(mutex_);
    auto& c = users_.at(static_cast<std::size_t>(user)).collections[std::string(resource)];
    Change change{user, std::string(resource), d.id, "create"};
    if (auto pos = c.by_id.find(d.id); !d.id.empty() && pos != c.by_id.end()) {
        c.docs[pos->second] = std::move(d);
        change.operation = "update";
    } else {
        c.docs.push_back(std::move(d));
    }
    sort(resource, c);
    return change;
}

void Store::advance_to(std::chrono::sys_days day) {
    std::unique_lock lock(mutex_);
    if (day <= today_) return;
    auto first = today_ + std::chrono::days(1);
    today_ = day;
    if (!generated()) return;
    append_days(first, today_);
    for (auto& u : users_)
        for (auto& [name, c] : u.collections) sort(name, c);
}

void Store::reset() {
    std::unique_lock lock(mutex_);
    load();
}

}  // namespace oura::sim
