#pragma once
// The Oura Cloud API v2 client every service shares: paginated fetches, single documents,
// OAuth token calls and the webhook subscription API, with retries, the process-wide 429 gate
// and a circuit breaker. Thread-safe: one instance per process serves all threads.
//
// What is retried (per RetryPolicy; a page is retried on its own, from the same next_token):
//   data GETs and subscription calls: 5xx, 408, 429, network failures, timeouts, broken bodies;
//   code exchange: the same (a replayed code at worst answers invalid_grant: the user consents again);
//   refresh: only failures that prove the request never left (resolve/connect) and 429 — a
//     refresh that reached Oura may have spent the single-use refresh token, and a blind retry
//     would answer invalid_grant and lose the grant; the caller gets the error and keeps the pair.
// Never retried: expired_token, missing_scope, forbidden, not_found, bad_request, invalid_grant.
// Tokens and secrets appear in no log line, no error message and no metric label.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "oura/api/api_metrics.hpp"
#include "oura/api/budget.hpp"
#include "oura/api/catalog.hpp"
#include "oura/api/errors.hpp"
#include "oura/api/oauth.hpp"
#include "oura/api/page.hpp"
#include "oura/api/retry.hpp"
#include "oura/api/webhook.hpp"
#include "oura/api/window.hpp"
#include "oura/core/log.hpp"
#include "oura/core/time.hpp"
#include "oura/http/client.hpp"

namespace oura::api {

// Where Oura publishes its OpenAPI document (API-NOTES §0), relative to the API base URL.
inline constexpr std::string_view openapi_path = "/v2/static/json/openapi-1.37.json";

struct ApiOptions {
    std::string api_base_url = "https://api.ouraring.com";
    std::string auth_base_url = "https://cloud.ouraring.com";
    std::string token_url;  // empty: api_base_url + "/oauth/token"
    // Oura's published OpenAPI document (lists the collections); empty: api_base_url + openapi_path.
    std::string openapi_url;
    std::string client_id, client_secret;
    http::ClientOptions http;
    RetryPolicy retry;
    // Consecutive failures (5xx, timeouts, broken connections or bodies) that open the breaker.
    // Failures cluster under a lossy network: at 15-20 % loss runs of 5-7 were seen, so 5 opened
    // it on a merely unreliable Oura; 10 in a row means it is really down.
    int breaker_threshold = 10;
    std::chrono::seconds breaker_cooldown{30};
    // Oura calls the callback URL back while a subscription create/update is in flight and may
    // take about a minute to answer (ourabridge uses 75 s).
    std::chrono::seconds subscription_timeout{75};
    // A 429 pause longer than this is not waited out: the call throws rate_limited with
    // retry_after, so the job can be rescheduled.
    std::chrono::milliseconds max_rate_wait{std::chrono::minutes(5)};
    const core::Clock* clock = nullptr;  // nullptr: the system clock
    SleepFunction sleep;                 // empty: really sleep
    // Share one gate among every client of the process (Oura limits per application); nullptr:
    // this client makes its own.
    std::shared_ptr<RateGate> rate_gate;
    // Drawn from before every data-API request (not the token and subscription calls, which Oura
    // does not count against the data budget) and told about every 429 on them; nullptr: only the
    // process-wide gate applies.
    std::shared_ptr<RequestBudget> budget;
    ApiMetrics* metrics = nullptr;  // not owned; may be nullptr
};

// How a call meets Oura's 429 pause: wait it out (and retry a 429), or throw rate_limited at once.
enum class RateLimitWait { wait, throw_at_once };

class OuraClient {
public:
    OuraClient(ApiOptions options, const core::Logger& log);
    ~OuraClient();
    OuraClient(const OuraClient&) = delete;
    OuraClient& operator=(const OuraClient&) = delete;

    // Every page of `resource` for `query` (query_for(...) plus e.g. fields), following next_token
    // with the same other parameters until Oura sends none. on_page runs once per page, in
    // order; an exception from it stops the fetch and propagates. DateMode::single yields one
    // page with the one object. Throws api_error (see the header comment for what is retried).
    void fetch_collection(std::string_view access_token, const Resource& resource, const QueryParams& query,
                          const std::function<void(Page&&)>& on_page);

    // GET {path}/{id}: the document as compact JSON, nullopt on 404. Throws std::invalid_argument
    // when the resource has no single-document route, api_error otherwise.
    std::optional<std::string> fetch_document(std::string_view access_token, const Resource& resource,
                                              std::string_view id);
    // The personal_info object as compact JSON (its "id" is the user id webhook events carry).
    std::string fetch_personal_info(std::string_view access_token);

    // Oura's OpenAPI document (no token needed), the body as sent. Tried once and outside the
    // circuit breaker: it only serves discovery, which the next run retries, and its failure must
    // not stop the data calls. Throws api_error.
    std::string fetch_openapi();

    // OAuth (client credentials go as form fields client_id/client_secret).
    std::string authorize_url(std::string_view redirect_uri, const std::vector<std::string>& scopes,
                              std::string_view state, std::string_view code_challenge) const;
    // Throws api_error: invalid_grant (code spent or expired), bad_response (no refresh_token), …
    TokenSet exchange_code(std::string_view code, std::string_view redirect_uri, std::string_view code_verifier);
    // Rotates: the answer carries a new refresh token that replaces the old one (persist it
    // before use). invalid_grant: the token was spent (maybe by another process: re-read first).
    // server_error/network/timeout/bad_response: the outcome is unknown, the old token may be spent.
    // throw_at_once: a closed 429 gate or a 429 answer throws rate_limited (the token is unspent),
    // for a caller that must release a row lock before it waits.
    TokenSet refresh(std::string_view refresh_token, RateLimitWait on_rate_limit = RateLimitWait::wait);
    // Returns once the process-wide 429 gate is open; throws api_error(rate_limited) instead of
    // waiting longer than ApiOptions::max_rate_wait.
    void wait_for_rate_gate();

    // Webhook subscriptions (application credentials in x-client-id / x-client-secret).
    std::vector<Subscription> list_subscriptions();
    // A create whose answer was lost is looked up in the list before being sent again, so a
    // retry never makes a second subscription.
    Subscription create_subscription(std::string_view callback_url, std::string_view verification_token,
                                     std::string_view event_type, std::string_view data_type);
    // Throws api_error(not_found) when Oura does not know the id (it answers 403 or 404).
    Subscription renew_subscription(std::string_view id);
    Subscription update_subscription(std::string_view id, std::string_view verification_token,
                                     std::optional<std::string> callback_url = std::nullopt,
                                     std::optional<std::string> event_type = std::nullopt,
                                     std::optional<std::string> data_type = std::nullopt);
    // False when there was nothing to delete.
    bool delete_subscription(std::string_view id);

    RateGate& rate_gate();
    const CircuitBreaker& breaker() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace oura::api
