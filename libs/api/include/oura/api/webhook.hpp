#pragma once
// Oura webhooks: checking deliveries (pure) and the subscription model.

#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "oura/api/catalog.hpp"

namespace oura::api {

// HMAC-SHA256(key = client_secret, message = timestamp + raw_body) in hex, compared with
// `signature` case-insensitively in constant time. An optional "name=" prefix on the signature
// ("sha256=…") is ignored. The body must be the raw bytes received, not a re-serialisation.
bool verify_signature(std::string_view client_secret, std::string_view timestamp, std::string_view raw_body,
                      std::string_view signature);
// verify_signature with each of `secrets` (the current client secret and those still accepted
// during a rotation). Every secret is tried, whichever matches, so the time taken does not tell
// which one (if any) did. False when `secrets` is empty.
bool verify_signature_any(const std::vector<std::string>& secrets, std::string_view timestamp,
                          std::string_view raw_body, std::string_view signature);

// The latest x-oura-timestamp taken: 2100-01-01T00:00:00Z. A later one is refused, as are
// negative ones: a signed timestamp that far out is an attack or a bug, and converting it to
// the clock's nanoseconds would overflow (beyond 2262).
inline constexpr std::chrono::seconds max_webhook_timestamp{4'102'444'800};

// x-oura-timestamp as an instant: Unix seconds (milliseconds when it has 13+ digits) or an ISO
// 8601 date-time; nullopt when it is none of these, negative or after max_webhook_timestamp.
std::optional<std::chrono::system_clock::time_point> parse_webhook_timestamp(std::string_view timestamp);
// |now − timestamp| ≤ tolerance; false when the timestamp does not parse.
bool timestamp_fresh(std::string_view timestamp, std::chrono::system_clock::time_point now,
                     std::chrono::seconds tolerance = std::chrono::seconds(300));

// The data_type values of spec 1.37 (ExtApiV2DataType).
std::span<const std::string_view> webhook_data_types();
bool is_webhook_data_type(std::string_view data_type);
bool is_webhook_event_type(std::string_view event_type);  // create, update, delete

struct WebhookEvent {
    std::string event_type;  // create | update | delete
    std::string data_type;   // "vo2_max", "sleep", …
    std::string object_id;
    std::string event_time;  // as sent (ISO 8601 with offset)
    std::string user_id;     // Oura user id (personal_info.id)
    // False for a data_type outside spec 1.37's enum: still a well-formed event (Oura adds types;
    // the platform keeps what it cannot map yet), but no catalog resource to fetch it with.
    bool known_data_type = false;
    // The collection to fetch object_id from; nullptr for "meal" (no REST route) and unknown types.
    const Resource* resource() const { return find_by_webhook_type(data_type); }
};
// nullopt unless the body is a JSON object with event_type in create/update/delete, data_type a
// lower-case identifier, non-empty object_id and user_id (at most 256 printable characters)
// and an event_time that parses as an ISO 8601 date-time.
std::optional<WebhookEvent> parse_event(std::string_view body);

// The verification handshake (GET callback?verification_token=…&challenge=…): the 200 JSON body
// {"challenge": "…"} when the token matches (constant-time), nullopt (answer 401) otherwise.
std::optional<std::string> answer_verification(std::string_view expected_token, std::string_view given_token,
                                               std::string_view challenge);

struct Subscription {
    std::string id;
    std::string callback_url;
    std::string event_type;
    std::string data_type;
    std::string expiration_time;  // ISO 8601, as Oura sends it
};
// Throw api_error(bad_response) unless the body is a model (or an array of them).
Subscription parse_subscription(std::string_view body);
std::vector<Subscription> parse_subscriptions(std::string_view body);

}  // namespace oura::api
