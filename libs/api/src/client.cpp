#include "oura/api/client.hpp"

#include <algorithm>
#include <mutex>
#include <random>
#include <stdexcept>

#include "oura/core/json.hpp"
#include "oura/http/message.hpp"

namespace oura::api {

namespace {

enum class RetryMode {
    transient,     // retry every transient failure
    connect_only,  // retry only when the request provably never reached Oura (and 429)
    never,
};

struct Call {
    std::string_view label;  // metrics and logs: a resource name, "oauth_token", "webhook_subscription"
    std::string_view method;
    std::string url;        // may carry next_token in its query: never logged
    std::string_view path;  // what logs show
    http::Headers headers;
    std::string body;
    http::Client* client = nullptr;
    RetryMode mode = RetryMode::transient;
    bool use_breaker = true;
    // false: a closed 429 gate or a 429 answer throws rate_limited at once, so a caller holding a
    // lock can let go of it before waiting.
    bool wait_at_gate = true;
    bool budgeted = false;  // a data-API request: drawn from ApiOptions::budget
    std::vector<int> accepted;              // non-2xx statuses that are answers, handed to accept
    std::vector<std::string_view> secrets;  // values that must not leak into error details
};

using Accept = std::function<void(http::ClientResponse&)>;

std::string scrub(std::string text, const std::vector<std::string_view>& secrets) {
    for (auto secret : secrets) {
        if (secret.size() < 4) continue;
        for (auto at = text.find(secret); at != std::string::npos; at = text.find(secret, at))
            text.replace(at, secret.size(), "[redacted]");
    }
    return text;
}

std::string trim_slash(std::string s) {
    while (!s.empty() && s.back() == '/') s.pop_back();
    return s;
}

void check_header_value(std::string_view value, std::string_view what) {
    if (value.find_first_of("\r\n") != std::string_view::npos)
        throw std::invalid_argument(std::string(what) + " contains a line break");
}

struct Failure {
    ErrorKind kind = ErrorKind::network;
    int status = 0;
    std::string detail;
    std::string scope;
    std::optional<std::chrono::seconds> retry_after;
    bool retryable = false;
};

std::string json_object(const std::vector<std::pair<std::string_view, std::string_view>>& fields) {
    core::JsonWriter w;
    w.begin_object();
    for (const auto& [k, v] : fields) w.field(k, v);
    w.end_object();
    return w.take();
}

}  // namespace

struct OuraClient::Impl {
    ApiOptions opt;
    core::Logger log;
    const core::Clock& clock;
    SleepFunction sleep;
    std::shared_ptr<RateGate> gate;
    CircuitBreaker breaker;
    std::string api_base, token_url;
    http::Client api;
    // Token calls never reuse a pooled connection: the HTTP client re-sends a request once when a
    // reused connection turns out dead, and a re-sent refresh could spend the rotated token.
    http::Client token;
    http::Client subscriptions;  // long read timeout: Oura verifies the callback inside the call
    std::mutex rng_mutex;
    std::mt19937_64 rng{std::random_device{}()};

    static http::ClientOptions token_options(http::ClientOptions o) {
        o.max_idle_per_origin = 0;
        return o;
    }
    static http::ClientOptions subscription_options(http::ClientOptions o, std::chrono::seconds timeout) {
        o.read_timeout = std::max<std::chrono::milliseconds>(o.read_timeout, timeout);
        return o;
    }

    Impl(ApiOptions options, const core::Logger& logger)
        : opt(std::move(options)),
          log(logger),
          clock(opt.clock ? *opt.clock : core::system_clock()),
          sleep(opt.sleep ? opt.sleep : real_sleep()),
          gate(opt.rate_gate ? opt.rate_gate : std::make_shared<RateGate>(clock, sleep)),
          breaker(opt.breaker_threshold, opt.breaker_cooldown, clock),
          api_base(trim_slash(opt.api_base_url)),
          token_url(opt.token_url.empty() ? api_base + "/oauth/token" : opt.token_url),
          api(opt.http),
          token(token_options(opt.http)),
          subscriptions(subscription_options(opt.http, opt.subscription_timeout)) {}

    void observe(std::string_view label, std::string_view outcome, double seconds) {
        if (opt.metrics) opt.metrics->observe(label, outcome, seconds);
    }

    std::chrono::milliseconds backoff(int attempt) {
        std::lock_guard lock(rng_mutex);
        return opt.retry.delay_for(attempt, rng);
    }

    void execute(const Call& call, const Accept& accept);

    http::Headers bearer(std::string_view access_token) {
        check_header_value(access_token, "access token");
        http::Headers h;
        h.set("Authorization", "Bearer " + std::string(access_token));
        h.set("Accept", "application/json");
        return h;
    }

    http::Headers app_credentials() {
        check_header_value(opt.client_id, "client id");
        check_header_value(opt.client_secret, "client secret");
        http::Headers h;
        h.set("x-client-id", opt.client_id);
        h.set("x-client-secret", opt.client_secret);
        h.set("Accept", "application/json");
        return h;
    }

    // GET of a bare object (personal_info).
    std::string fetch_object(std::string_view access_token, const Resource& resource) {
        Call call;
        call.label = resource.name;
        call.method = "GET";
        call.path = resource.path;
        call.url = api_base + std::string(resource.path);
        call.headers = bearer(access_token);
        call.budgeted = true;
        call.client = &api;
        call.secrets = {access_token};
        std::string out;
        execute(call, [&](http::ClientResponse& r) { out = parse_document(r.body); });
        return out;
    }

    TokenSet token_call(std::vector<std::pair<std::string, std::string>> form, RetryMode mode,
                        std::vector<std::string_view> secrets, bool wait_at_gate = true);
    Call subscription_call(std::string_view method, std::string path, std::string body, RetryMode mode);
    // Runs a call about one known subscription: its parsed answer, or not_found for an unknown id
    // (Oura answers 403 per the spec, 404 observed).
    Subscription existing_subscription(Call& call);
};

void OuraClient::Impl::execute(const Call& call, const Accept& accept) {
    const int max_attempts = std::max(opt.retry.max_attempts, 1);
    for (int attempt = 1;; ++attempt) {
        try {
            gate->wait(call.wait_at_gate ? opt.max_rate_wait : std::chrono::milliseconds(0));
        } catch (const api_error& e) {
            observe(call.label, to_string(ErrorKind::rate_limited), 0.0);
            throw api_error(e.kind(), e.status(), e.detail(), call.label, e.retry_after());
        }
        if (call.budgeted && opt.budget) {
            try {
                opt.budget->acquire(call.wait_at_gate ? opt.max_rate_wait : std::chrono::milliseconds(0));
            } catch (const api_error& e) {
                observe(call.label, to_string(ErrorKind::rate_limited), 0.0);
                throw api_error(e.kind(), e.status(), e.detail(), call.label, e.retry_after());
            }
        }
        if (call.use_breaker && !breaker.allow()) {
            observe(call.label, to_string(ErrorKind::breaker_open), 0.0);
            throw api_error(ErrorKind::breaker_open, 0, "circuit breaker open after repeated failures; Oura not called",
                            call.label);
        }

        Failure f;
        std::string_view trace_id;
        http::ClientResponse resp;
        auto started = std::chrono::steady_clock::now();
        auto elapsed = [&] {
            return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        };
        try {
            resp = call.client->request(call.method, call.url, call.headers, call.body);
            double seconds = elapsed();
            bool is_2xx = resp.status >= 200 && resp.status < 300;
            if (is_2xx || std::find(call.accepted.begin(), call.accepted.end(), resp.status) != call.accepted.end()) {
                bool broken = false;
                try {
                    accept(resp);
                } catch (const api_error& e) {
                    if (e.kind() != ErrorKind::bad_response) {
                        if (call.use_breaker) breaker.record_success();
                        observe(call.label, to_string(e.kind()), seconds);
                        throw;
                    }
                    broken = true;
                    f.kind = ErrorKind::bad_response;
                    f.status = resp.status;
                    f.detail = scrub(e.detail(), call.secrets);
                    f.retryable = call.mode == RetryMode::transient;
                    if (call.use_breaker) breaker.record_failure();
                    observe(call.label, to_string(f.kind), seconds);
                }
                if (!broken) {
                    if (call.use_breaker) breaker.record_success();
                    observe(call.label, is_2xx ? "ok" : "not_found", seconds);
                    return;
                }
            } else {
                auto c = classify(resp.status, resp.body);
                f.kind = c.kind;
                f.status = resp.status;
                f.detail = scrub(c.detail, call.secrets);
                f.scope = c.scope;
                if (auto t = resp.headers.get("x-trace-id")) trace_id = *t;
                if (f.kind == ErrorKind::rate_limited) {
                    gate->on_rate_limited(parse_rate_limit(resp.headers, clock.now()));
                    if (call.budgeted && opt.budget) opt.budget->on_rate_limited(gate->open_at());
                    if (opt.metrics) opt.metrics->on_rate_limited();
                    f.retry_after = std::chrono::ceil<std::chrono::seconds>(gate->remaining());
                }
                if (call.use_breaker) {
                    if (f.kind == ErrorKind::server_error || f.kind == ErrorKind::timeout)
                        breaker.record_failure();
                    else
                        breaker.record_success();
                }
                switch (call.mode) {
                    case RetryMode::transient:
                        f.retryable = is_transient(f.kind);
                        break;
                    case RetryMode::connect_only:
                        f.retryable = f.kind == ErrorKind::rate_limited;
                        break;
                    case RetryMode::never:
                        f.retryable = false;
                        break;
                }
                if (f.kind == ErrorKind::rate_limited && !call.wait_at_gate) f.retryable = false;
                observe(call.label, to_string(f.kind), seconds);
            }
        } catch (const http::transport_error& e) {
            f.kind = e.kind() == http::TransportError::timeout ? ErrorKind::timeout : ErrorKind::network;
            f.detail = scrub(e.what(), call.secrets);
            bool never_sent = e.kind() == http::TransportError::resolve || e.kind() == http::TransportError::connect;
            f.retryable = call.mode == RetryMode::transient || (call.mode == RetryMode::connect_only && never_sent);
            if (call.use_breaker) breaker.record_failure();
            observe(call.label, to_string(f.kind), elapsed());
        }

        if (!f.retryable || attempt >= max_attempts)
            throw api_error(f.kind, f.status, std::move(f.detail), call.label, f.retry_after, std::move(f.scope));
        // After a 429 the gate holds every caller; no extra pause on top of it.
        auto delay = f.kind == ErrorKind::rate_limited ? std::chrono::milliseconds(0) : backoff(attempt);
        log.warn("retrying Oura call", {{"resource", call.label},
                                        {"path", call.path},
                                        {"attempt", attempt},
                                        {"reason", to_string(f.kind)},
                                        {"status", f.status},
                                        {"delay_ms", static_cast<std::int64_t>(delay.count())},
                                        {"trace_id", trace_id},
                                        {"detail", f.detail}});
        if (delay.count() > 0) sleep(delay);
    }
}

OuraClient::OuraClient(ApiOptions options, const core::Logger& log)
    : impl_(std::make_unique<Impl>(std::move(options), log)) {}

OuraClient::~OuraClient() = default;

RateGate& OuraClient::rate_gate() {
    return *impl_->gate;
}
const CircuitBreaker& OuraClient::breaker() const {
    return impl_->breaker;
}

void OuraClient::fetch_collection(std::string_view access_token, const Resource& resource, const QueryParams& query,
                                  const std::function<void(Page&&)>& on_page) {
    if (resource.mode == DateMode::single) {
        Page page;
        page.items.push_back(impl_->fetch_object(access_token, resource));
        on_page(std::move(page));
        return;
    }
    QueryParams base;
    for (const auto& p : query)
        if (p.first != "next_token") base.push_back(p);

    std::optional<std::string> next;
    for (int page_no = 1;; ++page_no) {
        auto params = base;
        if (next) params.emplace_back("next_token", *next);
        Call call;
        call.label = resource.name;
        call.method = "GET";
        call.path = resource.path;
        call.url =
            impl_->api_base + std::string(resource.path) + (params.empty() ? "" : "?" + http::build_query(params));
        call.headers = impl_->bearer(access_token);
        call.budgeted = true;
        call.client = &impl_->api;
        call.secrets = {access_token};
        if (next) call.secrets.push_back(*next);
        ParsedPage parsed;
        impl_->execute(call, [&](http::ClientResponse& r) { parsed = parse_page(resource, r.body); });
        impl_->log.debug("fetched Oura page", {{"resource", resource.name},
                                               {"page", page_no},
                                               {"items", parsed.page.items.size()},
                                               {"more", parsed.next_token.has_value()}});
        auto more = std::move(parsed.next_token);
        on_page(std::move(parsed.page));
        if (!more) return;
        if (next && *more == *next)
            throw api_error(ErrorKind::bad_response, 200, "next_token did not advance; stopping", resource.name);
        next = std::move(more);
    }
}

std::optional<std::string> OuraClient::fetch_document(std::string_view access_token, const Resource& resource,
                                                      std::string_view id) {
    if (!resource.single_document_route)
        throw std::invalid_argument(std::string(resource.name) + " has no single-document route");
    if (id.empty()) throw std::invalid_argument("empty document id");
    Call call;
    call.label = resource.name;
    call.method = "GET";
    call.path = resource.path;
    call.url = impl_->api_base + std::string(resource.path) + "/" + http::percent_encode(id);
    call.headers = impl_->bearer(access_token);
    call.budgeted = true;
    call.client = &impl_->api;
    call.accepted = {404};
    call.secrets = {access_token};
    std::optional<std::string> out;
    impl_->execute(call, [&](http::ClientResponse& r) {
        if (r.status == 404)
            out.reset();
        else
            out = parse_document(r.body);
    });
    return out;
}

std::string OuraClient::fetch_personal_info(std::string_view access_token) {
    return impl_->fetch_object(access_token, *find_resource("personal_info"));
}

std::string OuraClient::fetch_openapi() {
    Call call;
    call.label = "openapi";
    call.method = "GET";
    call.url = impl_->opt.openapi_url.empty() ? impl_->api_base + std::string(openapi_path) : impl_->opt.openapi_url;
    call.path = "openapi";
    call.headers.set("Accept", "application/json");
    call.client = &impl_->api;
    call.mode = RetryMode::never;
    call.use_breaker = false;
    std::string out;
    impl_->execute(call, [&](http::ClientResponse& r) { out = std::move(r.body); });
    return out;
}

std::string OuraClient::authorize_url(std::string_view redirect_uri, const std::vector<std::string>& scopes,
                                      std::string_view state, std::string_view code_challenge) const {
    return api::authorize_url(impl_->opt.auth_base_url, impl_->opt.client_id, redirect_uri, scopes, state,
                              code_challenge);
}

TokenSet OuraClient::Impl::token_call(std::vector<std::pair<std::string, std::string>> form, RetryMode mode,
                                      std::vector<std::string_view> secrets, bool wait_at_gate) {
    form.emplace_back("client_id", opt.client_id);
    form.emplace_back("client_secret", opt.client_secret);
    secrets.push_back(opt.client_secret);
    Call call;
    call.label = "oauth_token";
    call.method = "POST";
    call.path = "/oauth/token";
    call.url = token_url;
    call.headers.set("Content-Type", "application/x-www-form-urlencoded");
    call.headers.set("Accept", "application/json");
    call.body = http::build_query(form);
    call.client = &token;
    call.mode = mode;
    call.secrets = std::move(secrets);
    call.wait_at_gate = wait_at_gate;
    TokenSet out;
    execute(call, [&](http::ClientResponse& r) { out = parse_token_response(r.body); });
    return out;
}

TokenSet OuraClient::exchange_code(std::string_view code, std::string_view redirect_uri,
                                   std::string_view code_verifier) {
    std::vector<std::pair<std::string, std::string>> form{{"grant_type", "authorization_code"},
                                                          {"code", std::string(code)}};
    if (!redirect_uri.empty()) form.emplace_back("redirect_uri", std::string(redirect_uri));
    if (!code_verifier.empty()) form.emplace_back("code_verifier", std::string(code_verifier));
    return impl_->token_call(std::move(form), RetryMode::transient, {code, code_verifier});
}

TokenSet OuraClient::refresh(std::string_view refresh_token, RateLimitWait on_rate_limit) {
    if (refresh_token.empty()) throw std::invalid_argument("empty refresh token");
    return impl_->token_call({{"grant_type", "refresh_token"}, {"refresh_token", std::string(refresh_token)}},
                             RetryMode::connect_only, {refresh_token}, on_rate_limit == RateLimitWait::wait);
}

void OuraClient::wait_for_rate_gate() {
    impl_->gate->wait(impl_->opt.max_rate_wait);
}

Call OuraClient::Impl::subscription_call(std::string_view method, std::string path, std::string body, RetryMode mode) {
    Call call;
    call.label = "webhook_subscription";
    call.method = method;
    call.path = "/v2/webhook/subscription";
    call.url = api_base + path;
    call.headers = app_credentials();
    if (!body.empty()) call.headers.set("Content-Type", "application/json");
    call.body = std::move(body);
    call.client = &subscriptions;
    call.mode = mode;
    // Subscription calls (slow while Oura verifies the callback) must not open the breaker that
    // guards data fetches.
    call.use_breaker = false;
    call.secrets = {opt.client_secret};
    return call;
}

std::vector<Subscription> OuraClient::list_subscriptions() {
    auto call = impl_->subscription_call("GET", "/v2/webhook/subscription", {}, RetryMode::transient);
    std::vector<Subscription> out;
    impl_->execute(call, [&](http::ClientResponse& r) { out = parse_subscriptions(r.body); });
    return out;
}

Subscription OuraClient::create_subscription(std::string_view callback_url, std::string_view verification_token,
                                             std::string_view event_type, std::string_view data_type) {
    if (!is_webhook_event_type(event_type)) throw std::invalid_argument("unknown webhook event_type");
    if (data_type.empty()) throw std::invalid_argument("empty webhook data_type");
    auto body = json_object({{"callback_url", callback_url},
                             {"verification_token", verification_token},
                             {"event_type", event_type},
                             {"data_type", data_type}});
    const int max_attempts = std::max(impl_->opt.retry.max_attempts, 1);
    for (int attempt = 1;; ++attempt) {
        try {
            auto call = impl_->subscription_call("POST", "/v2/webhook/subscription", body, RetryMode::never);
            call.secrets.push_back(verification_token);
            Subscription out;
            impl_->execute(call, [&](http::ClientResponse& r) { out = parse_subscription(r.body); });
            return out;
        } catch (const api_error& e) {
            // An open breaker refuses the next attempt too, without calling Oura: give up now.
            if (!is_transient(e.kind()) || e.kind() == ErrorKind::breaker_open || attempt >= max_attempts) throw;
            // The create may have succeeded although its answer was lost (a 504 from the CDN
            // while Oura was still verifying the callback): look before creating again.
            try {
                for (auto& s : list_subscriptions())
                    if (s.callback_url == callback_url && s.event_type == event_type && s.data_type == data_type)
                        return s;
            } catch (const api_error&) {
                // The list failing too says nothing new; the retry below decides.
            }
            auto delay = e.kind() == ErrorKind::rate_limited ? std::chrono::milliseconds(0) : impl_->backoff(attempt);
            impl_->log.warn("retrying webhook subscription create",
                            {{"data_type", data_type},
                             {"event_type", event_type},
                             {"attempt", attempt},
                             {"reason", to_string(e.kind())},
                             {"delay_ms", static_cast<std::int64_t>(delay.count())}});
            if (delay.count() > 0) impl_->sleep(delay);
        }
    }
}

Subscription OuraClient::Impl::existing_subscription(Call& call) {
    call.accepted = {403, 404};
    Subscription out;
    execute(call, [&](http::ClientResponse& r) {
        if (r.status == 403 || r.status == 404)
            throw api_error(ErrorKind::not_found, r.status, "no webhook subscription with that id",
                            "webhook_subscription");
        out = parse_subscription(r.body);
    });
    return out;
}

Subscription OuraClient::renew_subscription(std::string_view id) {
    if (id.empty()) throw std::invalid_argument("empty subscription id");
    auto call = impl_->subscription_call("PUT", "/v2/webhook/subscription/renew/" + http::percent_encode(id), {},
                                         RetryMode::transient);
    return impl_->existing_subscription(call);
}

Subscription OuraClient::update_subscription(std::string_view id, std::string_view verification_token,
                                             std::optional<std::string> callback_url,
                                             std::optional<std::string> event_type,
                                             std::optional<std::string> data_type) {
    if (id.empty()) throw std::invalid_argument("empty subscription id");
    if (event_type && !is_webhook_event_type(*event_type)) throw std::invalid_argument("unknown webhook event_type");
    std::vector<std::pair<std::string_view, std::string_view>> fields{{"verification_token", verification_token}};
    if (callback_url) fields.emplace_back("callback_url", *callback_url);
    if (event_type) fields.emplace_back("event_type", *event_type);
    if (data_type) fields.emplace_back("data_type", *data_type);
    auto call = impl_->subscription_call("PUT", "/v2/webhook/subscription/" + http::percent_encode(id),
                                         json_object(fields), RetryMode::transient);
    call.secrets.push_back(verification_token);
    return impl_->existing_subscription(call);
}

bool OuraClient::delete_subscription(std::string_view id) {
    if (id.empty()) throw std::invalid_argument("empty subscription id");
    auto call = impl_->subscription_call("DELETE", "/v2/webhook/subscription/" + http::percent_encode(id), {},
                                         RetryMode::transient);
    call.accepted = {403, 404};
    bool deleted = false;
    impl_->execute(call, [&](http::ClientResponse& r) { deleted = r.status >= 200 && r.status < 300; });
    return deleted;
}

}  // namespace oura::api
