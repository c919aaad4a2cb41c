#include "oura/api/webhook.hpp"

#include <rapidjson/document.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <limits>

#include "oura/api/errors.hpp"
#include "oura/core/crypto.hpp"
#include "oura/core/json.hpp"
#include "oura/core/text.hpp"
#include "oura/core/time.hpp"

namespace oura::api {

namespace {

constexpr std::array<std::string_view, 17> data_types{"tag",
                                                      "enhanced_tag",
                                                      "workout",
                                                      "session",
                                                      "sleep",
                                                      "daily_sleep",
                                                      "daily_readiness",
                                                      "daily_activity",
                                                      "daily_spo2",
                                                      "sleep_time",
                                                      "rest_mode_period",
                                                      "ring_configuration",
                                                      "daily_stress",
                                                      "daily_cardiovascular_age",
                                                      "daily_resilience",
                                                      "vo2_max",
                                                      "meal"};

constexpr std::size_t max_id_length = 256;

std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

bool identifier(std::string_view s) {
    return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    });
}

bool printable_id(std::string_view s) {
    return !s.empty() && s.size() <= max_id_length &&
           std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) > 0x20 && c != 0x7f; });
}

std::optional<std::string> member(const rapidjson::Value& obj, const char* key) {
    auto it = obj.FindMember(key);
    if (it == obj.MemberEnd() || !it->value.IsString()) return std::nullopt;
    return std::string(it->value.GetString(), it->value.GetStringLength());
}

}  // namespace

bool verify_signature(std::string_view client_secret, std::string_view timestamp, std::string_view raw_body,
                      std::string_view signature) {
    if (client_secret.empty()) return false;
    if (auto eq = signature.find('='); eq != std::string_view::npos && eq < 16) signature.remove_prefix(eq + 1);
    while (!signature.empty() && signature.front() == ' ') signature.remove_prefix(1);
    while (!signature.empty() && signature.back() == ' ') signature.remove_suffix(1);
    if (signature.size() != 64) return false;  // SHA-256 in hex
    std::string message;
    message.reserve(timestamp.size() + raw_body.size());
    message.append(timestamp).append(raw_body);
    auto expected = core::hmac_sha256_hex(client_secret, message);  // lower-case
    return core::constant_time_equal(expected, lower(signature));
}

bool verify_signature_any(const std::vector<std::string>& secrets, std::string_view timestamp,
                          std::string_view raw_body, std::string_view signature) {
    bool any = false;
    for (const auto& secret : secrets) any = verify_signature(secret, timestamp, raw_body, signature) || any;
    return any;
}

std::optional<std::chrono::system_clock::time_point> parse_webhook_timestamp(std::string_view timestamp) {
    using std::chrono::seconds;
    timestamp = core::trim(timestamp);
    std::optional<seconds> since_epoch;
    if (auto v = core::parse_int(timestamp, 0, std::numeric_limits<std::int64_t>::max()))
        since_epoch =
            timestamp.size() >= 13 ? std::chrono::duration_cast<seconds>(std::chrono::milliseconds(*v)) : seconds(*v);
    else if (auto t = core::parse_datetime(timestamp))
        since_epoch = t->utc.time_since_epoch();
    // Checked in seconds, before the conversion to the clock's nanosecond ticks could overflow.
    if (!since_epoch || *since_epoch < seconds(0) || *since_epoch > max_webhook_timestamp) return std::nullopt;
    return std::chrono::system_clock::time_point(*since_epoch);
}

bool timestamp_fresh(std::string_view timestamp, std::chrono::system_clock::time_point now,
                     std::chrono::seconds tolerance) {
    auto t = parse_webhook_timestamp(timestamp);
    if (!t) return false;
    auto diff = *t > now ? *t - now : now - *t;
    return diff <= tolerance;
}

std::span<const std::string_view> webhook_data_types() {
    return data_types;
}

bool is_webhook_data_type(std::string_view data_type) {
    return std::find(data_types.begin(), data_types.end(), data_type) != data_types.end();
}

bool is_webhook_event_type(std::string_view event_type) {
    return event_type == "create" || event_type == "update" || event_type == "delete";
}

std::optional<WebhookEvent> parse_event(std::string_view body) {
    rapidjson::Document doc;
    doc.Parse(body.data(), body.size());
    if (doc.HasParseError() || !doc.IsObject()) return std::nullopt;
    WebhookEvent e;
    auto event_type = member(doc, "event_type");
    auto data_type = member(doc, "data_type");
    auto object_id = member(doc, "object_id");
    auto event_time = member(doc, "event_time");
    auto user_id = member(doc, "user_id");
    if (!event_type || !data_type || !object_id || !event_time || !user_id) return std::nullopt;
    if (!is_webhook_event_type(*event_type) || !identifier(*data_type)) return std::nullopt;
    if (!printable_id(*object_id) || !printable_id(*user_id)) return std::nullopt;
    if (!core::parse_datetime(*event_time)) return std::nullopt;
    e.event_type = std::move(*event_type);
    e.data_type = std::move(*data_type);
    e.object_id = std::move(*object_id);
    e.event_time = std::move(*event_time);
    e.user_id = std::move(*user_id);
    e.known_data_type = is_webhook_data_type(e.data_type);
    return e;
}

std::optional<std::string> answer_verification(std::string_view expected_token, std::string_view given_token,
                                               std::string_view challenge) {
    if (expected_token.empty() || !core::constant_time_equal(expected_token, given_token)) return std::nullopt;
    core::JsonWriter w;
    w.begin_object().field("challenge", challenge).end_object();
    return w.take();
}

namespace {
Subscription subscription_from(const rapidjson::Value& v) {
    if (!v.IsObject())
        throw api_error(ErrorKind::bad_response, 200, "subscription is not a JSON object", "webhook_subscription");
    Subscription s;
    auto id = member(v, "id");
    if (!id || id->empty())
        throw api_error(ErrorKind::bad_response, 200, "subscription has no id", "webhook_subscription");
    s.id = std::move(*id);
    s.callback_url = member(v, "callback_url").value_or("");
    s.event_type = member(v, "event_type").value_or("");
    s.data_type = member(v, "data_type").value_or("");
    s.expiration_time = member(v, "expiration_time").value_or("");
    return s;
}

rapidjson::Document parse_body(std::string_view body) {
    rapidjson::Document doc;
    doc.Parse(body.data(), body.size());
    if (doc.HasParseError())
        throw api_error(ErrorKind::bad_response, 200, "subscription answer is not valid JSON", "webhook_subscription");
    return doc;
}
}  // namespace

Subscription parse_subscription(std::string_view body) {
    return subscription_from(parse_body(body));
}

std::vector<Subscription> parse_subscriptions(std::string_view body) {
    auto doc = parse_body(body);
    if (!doc.IsArray())
        throw api_error(ErrorKind::bad_response, 200, "subscription list is not a JSON array", "webhook_subscription");
    std::vector<Subscription> out;
    for (const auto& v : doc.GetArray()) out.push_back(subscription_from(v));
    return out;
}

}  // namespace oura::api
