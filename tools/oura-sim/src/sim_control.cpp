// The /_sim/ control API: what tests use to steer the simulator and to read its ground truth.
// Never subject to faults or rate limits, never counted in the request statistics.

#include <rapidjson/document.h>

#include "oura/core/json.hpp"
#include "oura/core/text.hpp"
#include "sim_app.hpp"
#include "sim_query.hpp"

namespace oura::sim {
namespace {

http::Response detail(int status, std::string_view message) {
    return http::json_response(status, core::error_body(message));
}

class bad_request : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// The request body as JSON; an empty body is null.
rapidjson::Document body_json(const http::Request& request) {
    rapidjson::Document doc;
    if (request.body.find_first_not_of(" \t\r\n") == std::string::npos) return doc;
    try {
        return core::parse_json(request.body);
    } catch (const core::json_error& e) {
        throw bad_request(e.what());
    }
}

std::vector<std::string> segments(std::string_view path) {
    std::vector<std::string> out;
    while (!path.empty()) {
        auto slash = path.find('/');
        auto part = path.substr(0, slash);
        path = slash == std::string_view::npos ? std::string_view{} : path.substr(slash + 1);
        if (!part.empty()) out.push_back(http::percent_decode(part, false));
    }
    return out;
}

// A list of scope names as a JSON array or a space-separated string; throws bad_request for unknown names.
ScopeSet scopes_from(const rapidjson::Value& v) {
    ScopeSet out = 0;
    auto add = [&](std::string_view name) {
        auto bit = scope_bit(name == "spo2Daily" ? "spo2" : name);
        if (!bit) throw bad_request("unknown scope '" + std::string(name) + "'");
        out |= *bit;
    };
    if (v.IsString()) {
        for (const auto& name : core::split_list({v.GetString(), v.GetStringLength()}, " ")) add(name);
        return out;
    }
    if (!v.IsArray()) throw bad_request("scopes must be a list of scope names");
    for (const auto& item : v.GetArray()) {
        if (!item.IsString()) throw bad_request("scopes must be a list of scope names");
        add(std::string_view(item.GetString(), item.GetStringLength()));
    }
    return out;
}

std::int64_t int_member(const rapidjson::Value& body, const char* key, std::int64_t fallback, std::int64_t min,
                        std::int64_t max) {
    if (!body.IsObject() || !body.HasMember(key)) return fallback;
    const auto& v = body[key];
    if (!v.IsInt64() || v.GetInt64() < min || v.GetInt64() > max)
        throw bad_request(std::string(key) + " must be a whole number from " + std::to_string(min) + " to " +
                          std::to_string(max));
    return v.GetInt64();
}

bool bool_member(const rapidjson::Value& body, const char* key) {
    return body.IsObject() && body.HasMember(key) && body[key].IsBool() && body[key].GetBool();
}

void write_counts(core::JsonWriter& w, const std::map<std::string, std::map<std::string, long>>& counts) {
    w.begin_object();
    for (const auto& [key, by_outcome] : counts) {
        w.key(key).begin_object();
        for (const auto& [outcome, n] : by_outcome) w.field(outcome, n);
        w.end_object();
    }
    w.end_object();
}

// The control API's one-member answers, such as {"cleared":true}.
template <typename V>
std::string one_field(std::string_view name, V value) {
    core::JsonWriter w;
    w.begin_object().field(name, value).end_object();
    return w.take();
}

}  // namespace

std::string App::stats_json() const {
    std::lock_guard lock(stats_mutex_);
    core::JsonWriter w;
    w.begin_object().key("routes");
    write_counts(w, route_counts_);
    w.key("grants");
    write_counts(w, grant_counts_);
    w.end_object();
    return w.take();
}

int App::publish(const Change& change) {
    const auto* info = find_resource(change.resource);
    if (!info || info->data_type.empty() || change.document_id.empty()) return 0;
    return webhooks_.publish(change.operation, info->data_type, change.document_id,
                             store_.user(change.user).oura_user_id);
}

void App::reset(bool tokens, bool subscriptions) {
    store_.reset();
    clock_.reset();
    faults_.clear();
    faults_.reseed(options_.store.generator.seed);
    for (const auto& f : options_.faults) faults_.add(f);
    limiter_.clear();
    oauth_.reset_user_scopes();
    webhooks_.clear_deliveries();
    {
        std::lock_guard lock(stats_mutex_);
        route_counts_.clear();
        grant_counts_.clear();
    }
    if (tokens) oauth_.forget_tokens();
    if (subscriptions) webhooks_.clear_subscriptions();
}

http::Response App::control(const http::Request& request) try {
    auto seg = segments(request.path().substr(5));  // after "/_sim"
    const auto& m = request.method;
    auto is = [&](std::initializer_list<std::string_view> names) {
        if (seg.size() != names.size()) return false;
        std::size_t i = 0;
        for (auto n : names) {
            if (n != "*" && seg[i] != n) return false;
            ++i;
        }
        return true;
    };
    auto find_user = [&](const std::string& key) -> int {
        auto u = store_.find_user(key);
        if (!u) throw std::out_of_range("Unknown user " + key + ".");
        return *u;
    };

    if (is({"health"}) && m == "GET") return http::json_response(200, one_field("status", "ok"));

    if (is({"users"}) && m == "GET") {
        core::JsonWriter w;
        w.begin_array();
        for (const auto& u : store_.users())
            w.begin_object()
                .field("user_id", u.oura_user_id)
                .field("index", u.index)
                .field("email", u.email)
                .field("scopes", format_scopes(oauth_.user_scopes(u.index)))
                .end_object();
        w.end_array();
        return http::json_response(200, w.take());
    }

    if (is({"users", "*", "token"}) && m == "POST") {
        int user = find_user(seg[1]);
        auto body = body_json(request);
        ScopeSet scopes = all_scopes;
        if (body.IsObject() && body.HasMember("scopes")) scopes = scopes_from(body["scopes"]);
        std::optional<std::chrono::seconds> expires;
        if (body.IsObject() && body.HasMember("expires_in"))
            expires = std::chrono::seconds(int_member(body, "expires_in", 0, 0, 10LL * 365 * 86400));
        auto t = oauth_.mint(user, scopes, expires);
        core::JsonWriter w;
        w.begin_object()
            .field("access_token", t.access_token)
            .field("refresh_token", t.refresh_token)
            .field("expires_in", t.expires_in)
            .field("token_type", "bearer")
            .field("user_id", store_.user(user).oura_user_id)
            .field("scope", format_scopes(t.scopes))
            .end_object();
        return http::json_response(200, w.take());
    }

    if (is({"users", "*", "scopes"}) && (m == "POST" || m == "PUT")) {
        int user = find_user(seg[1]);
        auto body = body_json(request);
        const rapidjson::Value* list = &body;
        if (body.IsObject() && body.HasMember("scopes")) list = &body["scopes"];
        oauth_.set_user_scopes(user, scopes_from(*list));
        core::JsonWriter w;
        w.begin_object()
            .field("user_id", store_.user(user).oura_user_id)
            .field("scopes", format_scopes(oauth_.user_scopes(user)))
            .end_object();
        return http::json_response(200, w.take());
    }

    if (is({"truth", "*", "*"}) && m == "GET") {
        int user = find_user(seg[1]);
        if (!store_.resource(seg[2])) return detail(404, "Not Found");
        return http::json_response(200, store_.truth(user, seg[2], clock_.now_unix()));
    }

    if (is({"stats"})) {
        if (m == "GET") return http::json_response(200, stats_json());
        if (m == "DELETE") {
            std::lock_guard lock(stats_mutex_);
            route_counts_.clear();
            grant_counts_.clear();
            return http::json_response(200, one_field("cleared", true));
        }
    }

    if (is({"reset"}) && m == "POST") {
        auto body = body_json(request);
        reset(bool_member(body, "tokens"), bool_member(body, "subscriptions"));
        log_.info("simulator reset");
        return http::json_response(200, one_field("today", core::format_date(store_.today())));
    }

    if (is({"clock"}) && m == "GET") {
        core::JsonWriter w;
        w.begin_object()
            .field("today", core::format_date(store_.today()))
            .field("now", core::format_utc(clock_.now()))
            .field("now_unix", clock_.now_unix())
            .end_object();
        return http::json_response(200, w.take());
    }

    if (is({"advance"}) && m == "POST") {
        auto body = body_json(request);
        bool by_hours = body.IsObject() && body.HasMember("hours");
        auto days = int_member(body, "days", by_hours ? 0 : 1, by_hours ? 0 : 1, 3650);
        auto hours = int_member(body, "hours", 0, 0, 24 * 3650);
        std::chrono::seconds step = std::chrono::hours(days * 24 + hours);
        auto before = clock_.now_unix();
        clock_.advance(step);
        // Generates the days the new now reached; what became complete meanwhile is announced.
        store_.advance_to(std::max(store_.today(), std::chrono::floor<std::chrono::days>(clock_.now())));
        auto created = store_.appeared(before, clock_.now_unix());
        int queued = 0;
        for (const auto& c : created) queued += publish(c);
        log_.info("clock advanced", {{"seconds", static_cast<std::int64_t>(step.count())},
                                     {"documents", created.size()},
                                     {"deliveries", queued}});
        core::JsonWriter w;
        w.begin_object()
            .field("today", core::format_date(store_.today()))
            .field("now", core::format_utc(clock_.now()))
            .field("documents_created", created.size())
            .field("deliveries_queued", queued)
            .end_object();
        return http::json_response(200, w.take());
    }

    if (seg.size() >= 3 && seg[0] == "documents" && m == "POST") {
        int user = find_user(seg[1]);
        const auto* info = find_resource(seg[2]);
        if (!info || info->windowing == Windowing::personal) return detail(404, "Not Found");
        if (seg.size() == 3) {
            Change c;
            try {
                c = store_.add(user, info->name, request.body);
            } catch (const std::invalid_argument& e) {
                return detail(422, e.what());
            }
            publish(c);
            core::JsonWriter w;
            w.begin_object().field("id", c.document_id).field("operation", c.operation).end_object();
            return http::json_response(201, w.take());
        }
        if (seg.size() == 5 && seg[4] == "revise") {
            auto body = body_json(request);
            const rapidjson::Value* set = body.IsObject() && body.HasMember("set") ? &body["set"] : nullptr;
            if (set && !set->IsObject()) throw bad_request("set must be an object");
            auto revised = store_.revise(user, info->name, seg[3], set);
            if (!revised) return detail(404, "Document not found.");
            publish({user, std::string(info->name), seg[3], "update"});
            return http::json_response(200, std::move(*revised));
        }
        if (seg.size() == 5 && seg[4] == "delete") {
            if (!store_.remove(user, info->name, seg[3])) return detail(404, "Document not found.");
            publish({user, std::string(info->name), seg[3], "delete"});
            return http::json_response(200, one_field("deleted", seg[3]));
        }
    }

    if (is({"faults"})) {
        if (m == "POST") {
            auto body = body_json(request);
            std::vector<FaultRule> rules;
            try {
                if (body.IsArray())
                    for (const auto& item : body.GetArray()) rules.push_back(fault_from_json(item));
                else
                    rules.push_back(fault_from_json(body));
            } catch (const std::invalid_argument& e) {
                throw bad_request(e.what());
            }
            for (auto& r : rules) faults_.add(std::move(r));
        } else if (m == "DELETE") {
            faults_.clear();
        } else if (m != "GET") {
            return detail(405, "Method Not Allowed");
        }
        core::JsonWriter w;
        w.begin_array();
        for (const auto& r : faults_.rules()) w.raw(fault_to_json(r));
        w.end_array();
        return http::json_response(200, w.take());
    }

    if (is({"tokens", "expire"}) && m == "POST") {
        auto body = body_json(request);
        if (body.IsObject() && body.HasMember("access_token") && body["access_token"].IsString()) {
            if (!oauth_.expire(body["access_token"].GetString())) return detail(404, "Unknown access token.");
            return http::json_response(200, one_field("expired", 1));
        }
        oauth_.expire_all();
        return http::json_response(200, one_field("expired", "all"));
    }

    if (is({"oauth", "deny"}) && m == "POST") {
        auto body = body_json(request);
        oauth_.deny_next(static_cast<int>(int_member(body, "count", 1, 1, 1000000)));
        return http::json_response(200, one_field("deny", true));
    }

    if (is({"deliveries"})) {
        if (m == "GET") return http::json_response(200, webhooks_.deliveries_json());
        if (m == "DELETE") {
            webhooks_.clear_deliveries();
            return http::json_response(200, one_field("cleared", true));
        }
    }

    if (is({"webhooks"}) && m == "GET") return http::json_response(200, webhooks_.subscriptions_json());

    if (is({"webhooks", "flush"}) && m == "POST") {
        auto body = body_json(request);
        auto timeout = std::chrono::milliseconds(int_member(body, "timeout_ms", 30000, 0, 600000));
        bool flushed = webhooks_.flush(timeout);
        core::JsonWriter w;
        w.begin_object().field("flushed", flushed).field("pending", webhooks_.pending()).end_object();
        return http::json_response(flushed ? 200 : 504, w.take());
    }

    return detail(404, "Not Found");
} catch (const bad_request& e) {
    return detail(400, e.what());
} catch (const std::out_of_range& e) {
    return detail(404, e.what());
}

}  // namespace oura::sim
