// The /_sim/ control API: what tests use to steer the simulator and to read its ground truth.
// Never subject to faults or rate limits, never counted in the request statistics.

#include <rapidjson/document.h>

#include "oura/core/json.hpp"
#include "sim_app.hpp"
#include "sim_query.hpp"

namespace oura::sim {
namespace {

using core::append_json_string;

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
        std::string_view s(v.GetString(), v.GetStringLength());
        while (!s.empty()) {
            auto sp = s.find(' ');
            if (sp != 0) add(s.substr(0, sp));
            s = sp == std::string_view::npos ? std::string_view{} : s.substr(sp + 1);
        }
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

std::string counts_json(const std::map<std::string, std::map<std::string, long>>& counts) {
    std::string out = "{";
    bool first = true;
    for (const auto& [key, by_outcome] : counts) {
        if (!first) out += ",";
        first = false;
        append_json_string(out, key);
        out += ":{";
        bool inner_first = true;
        for (const auto& [outcome, n] : by_outcome) {
            if (!inner_first) out += ",";
            inner_first = false;
            append_json_string(out, outcome);
            out += ":" + std::to_string(n);
        }
        out += "}";
    }
    return out + "}";
}

}  // namespace

std::string App::stats_json() const {
    std::lock_guard lock(stats_mutex_);
    return "{\"routes\":" + counts_json(route_counts_) + ",\"grants\":" + counts_json(grant_counts_) + "}";
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

    if (is({"health"}) && m == "GET") return http::json_response(200, "{\"status\":\"ok\"}");

    if (is({"users"}) && m == "GET") {
        std::string out = "[";
        for (const auto& u : store_.users()) {
            if (out.size() > 1) out += ",";
            out += "{\"user_id\":";
            append_json_string(out, u.oura_user_id);
            out += ",\"index\":" + std::to_string(u.index) + ",\"email\":";
            append_json_string(out, u.email);
            out += ",\"scopes\":";
            append_json_string(out, format_scopes(oauth_.user_scopes(u.index)));
            out += "}";
        }
        return http::json_response(200, out + "]");
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
        std::string out = "{\"access_token\":";
        append_json_string(out, t.access_token);
        out += ",\"refresh_token\":";
        append_json_string(out, t.refresh_token);
        out += ",\"expires_in\":" + std::to_string(t.expires_in) + ",\"token_type\":\"bearer\",\"user_id\":";
        append_json_string(out, store_.user(user).oura_user_id);
        out += ",\"scope\":";
        append_json_string(out, format_scopes(t.scopes));
        return http::json_response(200, out + "}");
    }

    if (is({"users", "*", "scopes"}) && (m == "POST" || m == "PUT")) {
        int user = find_user(seg[1]);
        auto body = body_json(request);
        const rapidjson::Value* list = &body;
        if (body.IsObject() && body.HasMember("scopes")) list = &body["scopes"];
        oauth_.set_user_scopes(user, scopes_from(*list));
        std::string out = "{\"user_id\":";
        append_json_string(out, store_.user(user).oura_user_id);
        out += ",\"scopes\":";
        append_json_string(out, format_scopes(oauth_.user_scopes(user)));
        return http::json_response(200, out + "}");
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
            return http::json_response(200, "{\"cleared\":true}");
        }
    }

    if (is({"reset"}) && m == "POST") {
        auto body = body_json(request);
        reset(bool_member(body, "tokens"), bool_member(body, "subscriptions"));
        log_.info("simulator reset");
        return http::json_response(200, "{\"today\":\"" + core::format_date(store_.today()) + "\"}");
    }

    if (is({"clock"}) && m == "GET") {
        std::string out = "{\"today\":\"" + core::format_date(store_.today()) + "\",\"now\":\"" +
                          core::format_utc(clock_.now()) + "\",\"now_unix\":" + std::to_string(clock_.now_unix()) + "}";
        return http::json_response(200, out);
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
        return http::json_response(200, "{\"today\":\"" + core::format_date(store_.today()) + "\",\"now\":\"" +
                                            core::format_utc(clock_.now()) +
                                            "\",\"documents_created\":" + std::to_string(created.size()) +
                                            ",\"deliveries_queued\":" + std::to_string(queued) + "}");
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
            std::string out = "{\"id\":";
            append_json_string(out, c.document_id);
            out += ",\"operation\":";
            append_json_string(out, c.operation);
            return http::json_response(201, out + "}");
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
            std::string out = "{\"deleted\":";
            append_json_string(out, seg[3]);
            return http::json_response(200, out + "}");
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
        std::string out = "[";
        for (const auto& r : faults_.rules()) {
            if (out.size() > 1) out += ",";
            out += fault_to_json(r);
        }
        return http::json_response(200, out + "]");
    }

    if (is({"tokens", "expire"}) && m == "POST") {
        auto body = body_json(request);
        if (body.IsObject() && body.HasMember("access_token") && body["access_token"].IsString()) {
            if (!oauth_.expire(body["access_token"].GetString())) return detail(404, "Unknown access token.");
            return http::json_response(200, "{\"expired\":1}");
        }
        oauth_.expire_all();
        return http::json_response(200, "{\"expired\":\"all\"}");
    }

    if (is({"oauth", "deny"}) && m == "POST") {
        auto body = body_json(request);
        oauth_.deny_next(static_cast<int>(int_member(body, "count", 1, 1, 1000000)));
        return http::json_response(200, "{\"deny\":true}");
    }

    if (is({"deliveries"})) {
        if (m == "GET") return http::json_response(200, webhooks_.deliveries_json());
        if (m == "DELETE") {
            webhooks_.clear_deliveries();
            return http::json_response(200, "{\"cleared\":true}");
        }
    }

    if (is({"webhooks"}) && m == "GET") return http::json_response(200, webhooks_.subscriptions_json());

    if (is({"webhooks", "flush"}) && m == "POST") {
        auto body = body_json(request);
        auto timeout = std::chrono::milliseconds(int_member(body, "timeout_ms", 30000, 0, 600000));
        bool flushed = webhooks_.flush(timeout);
        return http::json_response(flushed ? 200 : 504, std::string("{\"flushed\":") + (flushed ? "true" : "false") +
                                                            ",\"pending\":" + std::to_string(webhooks_.pending()) +
                                                            "}");
    }

    return detail(404, "Not Found");
} catch (const bad_request& e) {
    return detail(400, e.what());
} catch (const std::out_of_range& e) {
    return detail(404, e.what());
}

}  // namespace oura::sim
