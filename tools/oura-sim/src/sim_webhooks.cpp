#include "sim_webhooks.hpp"

#include <rapidjson/document.h>

#include <algorithm>
#include <variant>

#include "oura/core/crypto.hpp"
#include "oura/core/json.hpp"
#include "oura/core/time.hpp"
#include "sim_catalog.hpp"
#include "sim_query.hpp"

namespace oura::sim {
namespace {

constexpr std::string_view api_prefix = "/v2/webhook/subscription";

http::Response detail(int status, std::string_view message) {
    return http::json_response(status, core::error_body(message));
}

template <std::size_t N>
std::string enum_expectation(const std::string_view (&values)[N]) {
    std::string out;
    for (std::size_t i = 0; i < N; ++i) {
        if (i) out += i + 1 == N ? " or " : ", ";
        out += "'" + std::string(values[i]) + "'";
    }
    return out;
}

template <std::size_t N>
bool in_enum(const std::string_view (&values)[N], std::string_view v) {
    return std::find(std::begin(values), std::end(values), v) != std::end(values);
}

// Collects pydantic-style body errors: {"detail":[…]}.
class BodyErrors {
public:
    BodyErrors() { out_.begin_object().key("detail").begin_array(); }
    void add(std::string_view type, std::string_view field, std::string_view msg,
             std::optional<std::string_view> input = std::nullopt, std::string_view expected = {}) {
        ++count_;
        out_.begin_object().field("type", type).key("loc").begin_array().string("body");
        if (!field.empty()) out_.string(field);
        out_.end_array().field("msg", msg);
        if (input) out_.field("input", *input);
        if (!expected.empty()) out_.key("ctx").begin_object().field("expected", expected).end_object();
        out_.end_object();
    }
    bool any() const { return count_ > 0; }
    // Once: it closes the document.
    http::Response response() {
        out_.end_array().end_object();
        return http::json_response(422, out_.take());
    }

private:
    core::JsonWriter out_;
    int count_ = 0;
};

// Reads one string member; records "missing" (when required) or "string_type" errors.
std::optional<std::string> string_field(const rapidjson::Value& body, std::string_view name, bool required,
                                        BodyErrors& errors) {
    auto it = body.FindMember(rapidjson::StringRef(name.data(), name.size()));
    if (it == body.MemberEnd() || (it->value.IsNull() && !required)) {
        if (required) errors.add("missing", name, "Field required");
        return std::nullopt;
    }
    if (!it->value.IsString()) {
        errors.add("string_type", name, "Input should be a valid string");
        return std::nullopt;
    }
    return std::string(it->value.GetString(), it->value.GetStringLength());
}

struct SubscriptionFields {
    std::optional<std::string> callback_url, verification_token, event_type, data_type;
};

// Parses and validates a create (all required) or update (only verification_token required) body.
std::variant<SubscriptionFields, http::Response> read_body(const http::Request& request, bool create) {
    rapidjson::Document body;
    body.Parse(request.body.data(), request.body.size());
    BodyErrors errors;
    if (body.HasParseError()) {
        errors.add("json_invalid", "", "JSON decode error");
        return errors.response();
    }
    if (!body.IsObject()) {
        errors.add("model_attributes_type", "", "Input should be a valid dictionary or object to extract fields from");
        return errors.response();
    }
    SubscriptionFields f;
    f.callback_url = string_field(body, "callback_url", create, errors);
    f.verification_token = string_field(body, "verification_token", true, errors);
    f.event_type = string_field(body, "event_type", create, errors);
    f.data_type = string_field(body, "data_type", create, errors);
    if (f.callback_url && !http::parse_url(*f.callback_url))
        errors.add("url_parsing", "callback_url", "Input should be a valid URL", *f.callback_url);
    if (f.event_type && !in_enum(webhook_event_types, *f.event_type)) {
        auto expected = enum_expectation(webhook_event_types);
        errors.add("enum", "event_type", "Input should be " + expected, *f.event_type, expected);
    }
    if (f.data_type && !in_enum(webhook_data_types, *f.data_type)) {
        auto expected = enum_expectation(webhook_data_types);
        errors.add("enum", "data_type", "Input should be " + expected, *f.data_type, expected);
    }
    if (errors.any()) return errors.response();
    return f;
}

bool same_target(const Subscription& a, const Subscription& b) {
    return a.callback_url == b.callback_url && a.event_type == b.event_type && a.data_type == b.data_type;
}

http::ClientOptions client_options(std::chrono::milliseconds timeout, std::size_t idle) {
    http::ClientOptions o;
    o.connect_timeout = timeout;
    o.read_timeout = timeout;
    o.max_idle_per_origin = idle;
    o.user_agent = "oura-sim-webhooks/1.0";
    return o;
}

constexpr std::string_view duplicate_message =
    "A subscription with this callback_url, event_type and data_type already exists.";

}  // namespace

// ---------------------------------------------------------------------------------------------
// Pure helpers

std::string webhook_signature(std::string_view client_secret, std::string_view timestamp, std::string_view body) {
    std::string message;
    message.reserve(timestamp.size() + body.size());
    message.append(timestamp).append(body);
    auto hex = core::hmac_sha256_hex(client_secret, message);
    std::transform(hex.begin(), hex.end(), hex.begin(), [](char c) { return static_cast<char>(std::toupper(c)); });
    return hex;
}

std::string webhook_event_body(std::string_view event_type, std::string_view data_type, std::string_view object_id,
                               std::string_view event_time, std::string_view user_id) {
    core::JsonWriter w;
    w.begin_object()
        .field("event_type", event_type)
        .field("data_type", data_type)
        .field("object_id", object_id)
        .field("event_time", event_time)
        .field("user_id", user_id)
        .end_object();
    return w.take();
}

std::chrono::milliseconds retry_delay(std::chrono::milliseconds base, int attempt) {
    int doublings = std::clamp(attempt - 2, 0, 20);
    return base * (1LL << doublings);
}

bool handshake_answer_ok(int status, std::string_view body, std::string_view challenge) {
    if (status != 200) return false;
    rapidjson::Document doc;
    doc.Parse(body.data(), body.size());
    if (doc.HasParseError()) return false;
    auto got = core::get_string(doc, "challenge");
    return got && *got == challenge;
}

void write_subscription(core::JsonWriter& w, const Subscription& s) {
    w.begin_object()
        .field("id", s.id)
        .field("callback_url", s.callback_url)
        .field("event_type", s.event_type)
        .field("data_type", s.data_type)
        .field("expiration_time", core::format_utc(s.expiration))
        .end_object();
}

std::string subscription_json(const Subscription& s) {
    core::JsonWriter w;
    write_subscription(w, s);
    return w.take();
}

std::string subscription_list_json(const std::vector<Subscription>& list) {
    core::JsonWriter w;
    w.begin_array();
    for (const auto& s : list) write_subscription(w, s);
    w.end_array();
    return w.take();
}

std::string new_uuid4() {
    auto b = core::random_bytes(16);
    b[6] = static_cast<char>((b[6] & 0x0f) | 0x40);
    b[8] = static_cast<char>((b[8] & 0x3f) | 0x80);
    auto hex = core::to_hex(b);
    return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" + hex.substr(16, 4) + "-" +
           hex.substr(20);
}

// ---------------------------------------------------------------------------------------------
// Webhooks

Webhooks::Webhooks(WebhookOptions options, std::function<std::chrono::sys_seconds()> sim_now, const core::Logger& log)
    : options_(std::move(options)),
      sim_now_(std::move(sim_now)),
      log_(log),
      client_(client_options(options_.delivery_timeout, 8)) {
    for (int i = 0; i < std::max(1, options_.workers); ++i) workers_.emplace_back([this] { work(); });
}

Webhooks::~Webhooks() {
    stop();
}

void Webhooks::stop() {
    {
        std::lock_guard lock(mutex_);
        if (stopping_) return;
        stopping_ = true;
    }
    changed_.notify_all();
    for (auto& t : workers_)
        if (t.joinable()) t.join();
}

http::Response Webhooks::handle(const http::Request& request) {
    auto id = request.headers.get("x-client-id");
    auto secret = request.headers.get("x-client-secret");
    if (!id || !secret) return detail(401, "Not authenticated");
    if (!core::constant_time_equal(*id, options_.client_id) ||
        !core::constant_time_equal(*secret, options_.client_secret))
        return detail(403, "Invalid client credentials.");

    std::string_view rest = request.path().substr(api_prefix.size());
    if (rest.empty() || rest == "/") {
        if (request.method == "GET") {
            std::lock_guard lock(mutex_);
            return http::json_response(200, subscription_list_json(subscriptions_));
        }
        if (request.method == "POST") return create(request);
        return detail(405, "Method Not Allowed");
    }
    if (rest.rfind("/renew/", 0) == 0) {
        if (request.method != "PUT") return detail(405, "Method Not Allowed");
        std::string sid(rest.substr(7));
        std::lock_guard lock(mutex_);
        for (auto& s : subscriptions_) {
            if (s.id != sid) continue;
            s.expiration = sim_now_() + subscription_lifetime;
            return http::json_response(200, subscription_json(s));
        }
        return detail(404, "Subscription with id " + sid + " not found.");
    }
    std::string sid(rest.substr(1));
    if (sid.find('/') != std::string::npos) return detail(404, "Not Found");
    if (request.method == "GET") {
        std::lock_guard lock(mutex_);
        for (const auto& s : subscriptions_)
            if (s.id == sid) return http::json_response(200, subscription_json(s));
        return detail(403, "Forbidden");
    }
    if (request.method == "PUT") return update(request, sid);
    if (request.method == "DELETE") {
        std::lock_guard lock(mutex_);
        auto it =
            std::find_if(subscriptions_.begin(), subscriptions_.end(), [&](const auto& s) { return s.id == sid; });
        if (it == subscriptions_.end()) return detail(404, "No webhook id " + sid + " found.");
        subscriptions_.erase(it);
        http::Response r;
        r.status = 204;
        return r;
    }
    return detail(405, "Method Not Allowed");
}

std::optional<std::string> Webhooks::handshake(const std::string& callback_url, const std::string& verification_token) {
    std::string challenge = core::base64url(core::random_bytes(18));
    std::string url =
        append_query(callback_url, {{"verification_token", verification_token}, {"challenge", challenge}});
    http::Client client(client_options(handshake_timeout, 0));
    try {
        auto r = client.get(url);
        if (handshake_answer_ok(r.status, r.body, challenge)) return std::nullopt;
        if (r.status == 200)
            return std::string("the callback URL answered 200 without {\"challenge\": <the challenge sent>}");
        return "the callback URL answered " + std::to_string(r.status) + " instead of 200";
    } catch (const http::transport_error& e) {
        if (e.kind() == http::TransportError::timeout)
            return std::string("the callback URL did not answer within 10 s");
        return std::string("the callback URL could not be reached (") + std::string(to_string(e.kind())) + ")";
    }
}

http::Response Webhooks::create(const http::Request& request) {
    auto parsed = read_body(request, true);
    if (auto* error = std::get_if<http::Response>(&parsed)) return std::move(*error);
    auto& f = std::get<SubscriptionFields>(parsed);
    Subscription s{new_uuid4(), *f.callback_url, *f.event_type, *f.data_type, *f.verification_token, {}};
    auto duplicate = [&] {
        return std::any_of(subscriptions_.begin(), subscriptions_.end(),
                           [&](const auto& o) { return same_target(o, s); });
    };
    {
        std::lock_guard lock(mutex_);
        if (duplicate()) return detail(409, duplicate_message);
    }
    if (auto failure = handshake(s.callback_url, s.verification_token)) {
        log_.warn("webhook verification handshake failed", {{"callback_url", s.callback_url}, {"reason", *failure}});
        return detail(400, "Verification handshake failed: " + *failure + ".");
    }
    std::lock_guard lock(mutex_);
    if (duplicate()) return detail(409, duplicate_message);
    s.expiration = sim_now_() + subscription_lifetime;
    subscriptions_.push_back(s);
    log_.info("webhook subscription created", {{"id", s.id}, {"event_type", s.event_type}, {"data_type", s.data_type}});
    return http::json_response(201, subscription_json(s));
}

http::Response Webhooks::update(const http::Request& request, const std::string& id) {
    Subscription updated;
    {
        std::lock_guard lock(mutex_);
        auto it = std::find_if(subscriptions_.begin(), subscriptions_.end(), [&](const auto& s) { return s.id == id; });
        if (it == subscriptions_.end()) return detail(403, "Forbidden");
        updated = *it;
    }
    auto parsed = read_body(request, false);
    if (auto* error = std::get_if<http::Response>(&parsed)) return std::move(*error);
    auto& f = std::get<SubscriptionFields>(parsed);
    if (f.callback_url) updated.callback_url = *f.callback_url;
    if (f.event_type) updated.event_type = *f.event_type;
    if (f.data_type) updated.data_type = *f.data_type;
    updated.verification_token = *f.verification_token;
    if (auto failure = handshake(updated.callback_url, updated.verification_token))
        return detail(400, "Verification handshake failed: " + *failure + ".");
    std::lock_guard lock(mutex_);
    auto it = std::find_if(subscriptions_.begin(), subscriptions_.end(), [&](const auto& s) { return s.id == id; });
    if (it == subscriptions_.end()) return detail(403, "Forbidden");
    for (const auto& o : subscriptions_)
        if (o.id != id && same_target(o, updated)) return detail(409, duplicate_message);
    *it = updated;
    return http::json_response(200, subscription_json(*it));
}

int Webhooks::publish(std::string_view event_type, std::string_view data_type, std::string_view object_id,
                      std::string_view user_id) {
    auto now = sim_now_();
    std::string body = webhook_event_body(event_type, data_type, object_id, core::format_utc(now), user_id);
    int queued = 0;
    {
        std::lock_guard lock(mutex_);
        if (stopping_) return 0;
        auto due = std::chrono::steady_clock::now();
        for (const auto& s : subscriptions_) {
            if (s.event_type != event_type || s.data_type != data_type || s.expiration <= now) continue;
            queue_.emplace(due, Pending{s.id, s.callback_url, body, 1});
            ++queued;
        }
    }
    if (queued) changed_.notify_all();
    return queued;
}

void Webhooks::work() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        if (queue_.empty()) {
            changed_.wait(lock);
            continue;
        }
        auto due = queue_.begin()->first;
        if (due > std::chrono::steady_clock::now()) {
            changed_.wait_until(lock, due);
            continue;
        }
        Pending p = std::move(queue_.begin()->second);
        queue_.erase(queue_.begin());
        ++in_flight_;
        lock.unlock();
        deliver(std::move(p));
        lock.lock();
        --in_flight_;
        changed_.notify_all();
    }
}

void Webhooks::deliver(Pending p) {
    DeliveryRecord r{p.subscription_id, p.callback_url, p.body, p.attempt, 0, "", "", ""};
    r.at = core::format_utc_millis(std::chrono::system_clock::now());
    {
        std::lock_guard lock(mutex_);
        bool live = std::any_of(subscriptions_.begin(), subscriptions_.end(),
                                [&](const auto& s) { return s.id == p.subscription_id; });
        if (!live) {
            r.outcome = "dropped";
            log_records_.push_back(std::move(r));
            if (log_records_.size() > delivery_log_limit) log_records_.pop_front();
            return;
        }
    }
    // The signature timestamp is wall-clock Unix seconds: receivers compare it with their own clock.
    auto timestamp = std::to_string(
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
    http::Headers headers;
    headers.set("Content-Type", "application/json");
    headers.set("x-oura-timestamp", timestamp);
    headers.set("x-oura-signature", webhook_signature(options_.client_secret, timestamp, p.body));
    try {
        r.status = client_.request("POST", p.callback_url, headers, p.body).status;
    } catch (const http::transport_error& e) {
        r.error = std::string(to_string(e.kind())) + ": " + e.what();
    }
    std::lock_guard lock(mutex_);
    if (r.status >= 200 && r.status < 400) {
        r.outcome = "delivered";
    } else if (r.status == 410) {
        // Oura's documented meaning of 410: the receiver cancels the subscription.
        std::erase_if(subscriptions_, [&](const auto& s) { return s.id == p.subscription_id; });
        r.outcome = "cancelled";
    } else if (p.attempt < options_.max_attempts && !stopping_) {
        r.outcome = "retrying";
        auto due = std::chrono::steady_clock::now() + retry_delay(options_.retry_base, p.attempt + 1);
        ++p.attempt;
        queue_.emplace(due, std::move(p));
    } else {
        r.outcome = "failed";
    }
    log_records_.push_back(std::move(r));
    if (log_records_.size() > delivery_log_limit) log_records_.pop_front();
}

bool Webhooks::flush(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return queue_.empty() && in_flight_ == 0; });
}

std::size_t Webhooks::pending() const {
    std::lock_guard lock(mutex_);
    return queue_.size() + static_cast<std::size_t>(in_flight_);
}

std::string Webhooks::subscriptions_json() const {
    std::lock_guard lock(mutex_);
    return subscription_list_json(subscriptions_);
}

std::string Webhooks::deliveries_json() const {
    std::lock_guard lock(mutex_);
    core::JsonWriter w;
    w.begin_array();
    for (const auto& r : log_records_) {
        w.begin_object()
            .field("subscription_id", r.subscription_id)
            .field("callback_url", r.callback_url)
            .field("attempt", r.attempt)
            .field("status", r.status)
            .field("error", r.error)
            .field("outcome", r.outcome)
            .field("at", r.at)
            .key("event")
            .raw(r.body)  // the delivery body, written by webhook_event_body
            .end_object();
    }
    w.end_array();
    return w.take();
}

void Webhooks::clear_deliveries() {
    std::lock_guard lock(mutex_);
    queue_.clear();
    log_records_.clear();
}

void Webhooks::clear_subscriptions() {
    std::lock_guard lock(mutex_);
    subscriptions_.clear();
}

}  // namespace oura::sim
