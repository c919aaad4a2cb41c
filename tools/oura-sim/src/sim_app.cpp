#include "sim_app.hpp"

#include <rapidjson/document.h>

#include <limits>

#include "oura/core/json.hpp"
#include "oura/http/client.hpp"
#include "sim_query.hpp"

namespace oura::sim {
namespace {

constexpr std::string_view data_prefix = "/v2/usercollection/";
constexpr std::string_view sandbox_prefix = "/v2/sandbox/usercollection/";
constexpr std::string_view webhook_prefix = "/v2/webhook/subscription";

http::Response detail(int status, std::string_view message) {
    return http::json_response(status, core::error_body(message));
}

std::string_view strip_data_prefix(std::string_view path, bool& sandbox) {
    sandbox = path.rfind(sandbox_prefix, 0) == 0;
    if (sandbox) return path.substr(sandbox_prefix.size());
    if (path.rfind(data_prefix, 0) == 0) return path.substr(data_prefix.size());
    return {};
}

// The request counters' key: method and route template, so document ids do not explode the map.
std::string route_label(std::string_view method, std::string_view path) {
    std::string out(method);
    out += " ";
    bool sandbox = false;
    auto rest = strip_data_prefix(path, sandbox);
    if (!rest.empty()) {
        auto slash = rest.find('/');
        auto name = rest.substr(0, slash);
        if (!find_resource(name)) return out + "other";
        out += sandbox ? sandbox_prefix : data_prefix;
        out += name;
        if (slash != std::string_view::npos && slash + 1 < rest.size()) out += "/{document_id}";
        return out;
    }
    if (path.rfind(webhook_prefix, 0) == 0) {
        auto tail = path.substr(webhook_prefix.size());
        out += webhook_prefix;
        if (tail.rfind("/renew/", 0) == 0)
            out += "/renew/{id}";
        else if (tail.size() > 1)
            out += "/{id}";
        return out;
    }
    if (path == "/oauth/authorize" || path == "/oauth/token" || path == openapi_path) return out + std::string(path);
    return out + "other";
}

// "HH:MM" or "HH:MM:SS" → seconds after midnight.
std::optional<std::chrono::seconds> parse_time_of_day(std::string_view text) {
    auto two = [&](std::size_t at) -> int {
        if (at + 2 > text.size() || text[at] < '0' || text[at] > '9' || text[at + 1] < '0' || text[at + 1] > '9')
            return -1;
        return (text[at] - '0') * 10 + (text[at + 1] - '0');
    };
    if (text.size() != 5 && text.size() != 8) return std::nullopt;
    int h = two(0), m = two(3), sec = text.size() == 8 ? two(6) : 0;
    if (text[2] != ':' || (text.size() == 8 && text[5] != ':')) return std::nullopt;
    if (h < 0 || h > 23 || m < 0 || m > 59 || sec < 0 || sec > 59) return std::nullopt;
    return std::chrono::seconds(h * 3600 + m * 60 + sec);
}

std::string today_utc_string(const core::Clock& wall) {
    return core::format_date(std::chrono::floor<std::chrono::days>(wall.now()));
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Flags

core::CommandLine command_line() {
    return core::CommandLine(
        "oura-sim [--port 0] [--users 3 --days 90 --seed 1 | --fixtures DIR] [options]",
        "A faithful Oura Cloud API v2 simulator for tests, the demo and benchmarks: the data API, OAuth2,\n"
        "webhook subscriptions with signed deliveries, fault injection and a control API under /_sim/.\n"
        "The first line on stdout is the base URL (http://127.0.0.1:PORT); logs are JSON lines on stderr.\n"
        "Runs until SIGTERM or SIGINT. See docs/simulator.md.",
        {{"port", "PORT", "listen on PORT; 0 picks a free port (default 0)"},
         {"host", "ADDR", "listen address (default 127.0.0.1)"},
         {"users", "N", "simulated users (default 3)"},
         {"days", "N", "days of history per user, ending at --end-date (default 90)"},
         {"seed", "S", "seed of the synthetic data and of probabilistic faults (default 1)"},
         {"end-date", "YYYY-MM-DD", "the simulator's today: last day with data (default today, UTC)"},
         {"time-of-day", "HH:MM[:SS]",
          "stop the simulated clock at this UTC time of --end-date; only /_sim/advance moves it (default: it runs "
          "with the wall clock)"},
         {"fixtures", "DIR", "serve DIR/<user>/<resource>.json ({\"data\":[…]}) instead of generated data"},
         {"page-size", "N", "page size of every collection (default 100 documents, 10000 time-series rows)"},
         {"series-page-size", "N", "page size of heartrate and ring_battery_level only (overrides --page-size)"},
         {"client-id", "ID", "OAuth and webhook client id (default oura-sim-client)"},
         {"client-secret", "SECRET", "client secret; also the webhook signing key (default oura-sim-secret)"},
         {"token-expires-in", "S", "access token lifetime in seconds (default 86400)"},
         {"threads", "N", "server threads (default 4)"},
         {"fault", "SPEC", "faults from the start: KIND[:key=value,…][;…] (see docs/simulator.md)"},
         {"rate-limit-per-token", "N/WINDOW_S", "answer 429 past N data requests per token in WINDOW_S seconds (off)"},
         {"rate-limit-per-app", "N/WINDOW_S",
          "answer 429 past N data requests of all tokens in WINDOW_S seconds (off)"},
         {"webhook-retry-base-ms", "MS", "first delivery retry after MS, doubling each time (default 200)"},
         {"webhook-max-attempts", "N", "delivery attempts before giving up (default 10)"},
         {"webhook-timeout-ms", "MS", "how long a delivery waits for the receiver (default 10000)"},
         {"authorize-user", "N", "user index /oauth/authorize approves for without login_hint (default 0)"}},
        "Environment:\n"
        "  OURA_LOG_LEVEL   debug, info (default), warn or error\n"
        "Exit codes: 0 after SIGTERM/SIGINT, 2 bad flags or fixtures.");
}

SimOptions options_from(const core::CommandLine& cli) {
    // Otherwise a mistyped flag without its dashes would start a server that ignores it.
    if (!cli.positional().empty()) throw core::usage_error("unexpected argument '" + cli.positional()[0] + "'");
    SimOptions o;
    o.port = static_cast<std::uint16_t>(cli.int_or("port", 0, 0, 65535));
    o.host = cli.value_or("host", "127.0.0.1");
    o.threads = static_cast<int>(cli.int_or("threads", 4, 1, 256));
    auto& g = o.store.generator;
    g.users = static_cast<int>(cli.int_or("users", 3, 1, 10000));
    g.days = static_cast<int>(cli.int_or("days", 90, 1, 36500));
    g.seed = static_cast<std::uint64_t>(cli.int_or("seed", 1, 0, std::numeric_limits<long long>::max()));
    auto end = cli.value("end-date");
    auto day = core::parse_date(end ? *end : today_utc_string(core::system_clock()));
    if (!day) throw core::usage_error("--end-date must be YYYY-MM-DD, got '" + *end + "'");
    g.end_day = *day;
    if (auto tod = cli.value("time-of-day")) {
        auto at = parse_time_of_day(*tod);
        if (!at) throw core::usage_error("--time-of-day must be HH:MM or HH:MM:SS (UTC), got '" + *tod + "'");
        o.time_of_day = *at;
    }
    o.store.fixtures_dir = cli.value_or("fixtures", "");
    if (cli.has("page-size")) o.page_size = static_cast<std::size_t>(cli.int_or("page-size", 100, 1, 1000000));
    if (cli.has("series-page-size"))
        o.series_page_size = static_cast<std::size_t>(cli.int_or("series-page-size", 10000, 1, 1000000));
    o.oauth.client_id = cli.value_or("client-id", "oura-sim-client");
    o.oauth.client_secret = cli.value_or("client-secret", "oura-sim-secret");
    if (o.oauth.client_id.empty() || o.oauth.client_secret.empty())
        throw core::usage_error("--client-id and --client-secret must not be empty");
    o.oauth.token_expires_in = std::chrono::seconds(cli.int_or("token-expires-in", 86400, 0, 10LL * 365 * 86400));
    if (auto spec = cli.value("fault")) {
        try {
            o.faults = parse_fault_specs(*spec);
        } catch (const std::invalid_argument& e) {
            throw core::usage_error(std::string("--fault: ") + e.what());
        }
    }
    for (std::string_view name : {"rate-limit-per-token", "rate-limit-per-app"}) {
        auto v = cli.value(name);
        if (!v) continue;
        auto limit = parse_rate_limit(*v);
        if (!limit)
            throw core::usage_error("--" + std::string(name) + " must be N/WINDOW_S, e.g. 100/60, got '" + *v + "'");
        (name == "rate-limit-per-token" ? o.rate_limit_per_token : o.rate_limit_per_app) = limit;
    }
    o.webhook_retry_base = std::chrono::milliseconds(cli.int_or("webhook-retry-base-ms", 200, 1, 3600000));
    o.webhook_max_attempts = static_cast<int>(cli.int_or("webhook-max-attempts", 10, 1, 100));
    o.webhook_timeout = std::chrono::milliseconds(cli.int_or("webhook-timeout-ms", 10000, 10, 600000));
    o.authorize_user = static_cast<int>(cli.int_or("authorize-user", 0, 0, 9999));
    if (o.store.fixtures_dir.empty() && o.authorize_user >= g.users)
        throw core::usage_error("--authorize-user must be below --users");
    return o;
}

// ---------------------------------------------------------------------------------------------
// Clock

SimClock::SimClock(std::chrono::sys_days today, const core::Clock& wall,
                   std::optional<std::chrono::seconds> time_of_day)
    : wall_(wall),
      initial_shift_(time_of_day ? 0 : (today - std::chrono::floor<std::chrono::days>(wall.now())).count() * 86400LL),
      shift_(initial_shift_) {
    if (time_of_day) frozen_ = std::chrono::sys_seconds(today) + *time_of_day;
}

std::chrono::sys_seconds SimClock::now() const {
    auto base = frozen_ ? *frozen_ : std::chrono::floor<std::chrono::seconds>(wall_.now());
    return base + std::chrono::seconds(shift_.load());
}

// ---------------------------------------------------------------------------------------------
// App

App::App(SimOptions options, const core::Logger& log, const core::Clock& wall)
    : options_(std::move(options)),
      log_(log),
      wall_(wall),
      clock_(options_.store.generator.end_day, wall, options_.time_of_day),
      store_(options_.store),
      oauth_(options_.oauth, wall),
      faults_(options_.store.generator.seed),
      limiter_(options_.rate_limit_per_token, options_.rate_limit_per_app),
      webhooks_(
          WebhookOptions{options_.oauth.client_id, options_.oauth.client_secret, options_.webhook_retry_base,
                         options_.webhook_max_attempts, options_.webhook_timeout, 4},
          [this] { return clock_.now(); }, log) {
    for (const auto& f : options_.faults) faults_.add(f);
    if (!store_.generated() && options_.authorize_user >= static_cast<int>(store_.user_count()))
        throw std::runtime_error("--authorize-user names no fixture user");
}

App::~App() {
    stop();
}

void App::stop() {
    webhooks_.stop();
}

http::Response App::handle(const http::Request& request) {
    auto path = request.path();
    if (path == "/_sim" || path.rfind("/_sim/", 0) == 0) return control(request);
    std::string label = route_label(request.method, path);
    std::string outcome;
    http::Response response;
    if (auto fault = faults_.decide(path)) {
        response = apply_fault(*fault, request, outcome);
    } else {
        response = route(request);
        outcome = std::to_string(response.status);
    }
    count(label, outcome);
    if (log_.enabled(core::Level::debug))
        log_.debug("request", {{"method", request.method}, {"route", label}, {"outcome", outcome}});
    return response;
}

http::Response App::route(const http::Request& request) {
    auto path = request.path();
    bool sandbox = false;
    if (!strip_data_prefix(path, sandbox).empty()) return data(request);
    if (path == "/oauth/authorize") {
        if (request.method != "GET") return detail(405, "Method Not Allowed");
        return authorize(request);
    }
    if (path == "/oauth/token") {
        if (request.method != "POST") return detail(405, "Method Not Allowed");
        return token(request);
    }
    if (path == webhook_prefix || path.rfind(std::string(webhook_prefix) + "/", 0) == 0)
        return webhooks_.handle(request);
    if (path == openapi_path) {
        if (request.method != "GET") return detail(405, "Method Not Allowed");
        return openapi();
    }
    return detail(404, "Not Found");
}

http::Response App::apply_fault(const FaultRule& fault, const http::Request& request, std::string& outcome) {
    http::Response r;
    switch (fault.kind) {
        case FaultKind::rate_limited: {
            r = detail(429, "Too Many Requests");
            // Oura's FAQ figure (5000 per 5 minutes) stands in for the limit that "fired".
            set_rate_limit_headers(
                r.headers, fault.retry_after, 5000, 300,
                std::chrono::duration_cast<std::chrono::seconds>(wall_.now().time_since_epoch()).count() +
                    fault.retry_after,
                fault.tier);
            outcome = "429";
            return r;
        }
        case FaultKind::internal_error:
        case FaultKind::bad_gateway:
        case FaultKind::unavailable: {
            int status = fault.kind == FaultKind::internal_error ? 500
                         : fault.kind == FaultKind::bad_gateway  ? 502
                                                                 : 503;
            outcome = std::to_string(status);
            return detail(status, http::reason(status));
        }
        case FaultKind::latency:
            r = route(request);
            r.delay += fault.latency;
            outcome = std::to_string(r.status);
            return r;
        case FaultKind::hang:
            r = detail(504, "Gateway Timeout");
            r.delay = fault.latency.count() > 0 ? fault.latency : default_hang;
            r.close = true;
            outcome = "hang";
            return r;
        case FaultKind::truncate:
            // The request is processed (a token grant is used up) and only the answer is lost.
            r = route(request);
            r.fault = http::Fault::truncate;
            outcome = "truncate";
            return r;
        case FaultKind::reset:
            r.fault = http::Fault::reset;
            outcome = "reset";
            return r;
    }
    return r;
}

http::Response App::data(const http::Request& request) {
    bool sandbox = false;
    auto rest = strip_data_prefix(request.path(), sandbox);
    auto slash = rest.find('/');
    auto name = rest.substr(0, slash);
    std::string document_id =
        slash == std::string_view::npos ? std::string() : http::percent_decode(rest.substr(slash + 1), false);
    const auto* info = store_.resource(name);
    if (!info || document_id.find('/') != std::string::npos) return detail(404, "Not Found");
    // The sandbox has no personal_info (API-NOTES: it 404s there).
    if (sandbox && info->windowing == Windowing::personal) return detail(404, "Not Found");
    if (request.method != "GET") return detail(405, "Method Not Allowed");

    int user = 0;
    ScopeSet scopes = all_scopes;
    std::string token_key;
    auto authorization = request.headers.get("Authorization");
    if (sandbox) {
        // Any Authorization is accepted there; the sandbox shows the first simulated user.
        if (store_.user_count() == 0) return detail(404, "Not Found");
        token_key = std::string(authorization.value_or("sandbox"));
    } else {
        auto check = oauth_.check(authorization);
        switch (check.state) {
            case TokenState::missing:
                return detail(401, auth_missing);
            case TokenState::unknown:
                return detail(401, auth_unknown);
            case TokenState::expired:
                return detail(401, auth_expired);
            case TokenState::ok:
                break;
        }
        user = check.user;
        scopes = check.scopes;
        token_key = std::string(bearer_token(*authorization).value_or(""));
    }
    if (limiter_.enabled()) {
        auto verdict =
            limiter_.admit(token_key, std::chrono::steady_clock::now(),
                           std::chrono::duration_cast<std::chrono::seconds>(wall_.now().time_since_epoch()).count());
        if (!verdict.allowed) {
            auto r = detail(429, "Too Many Requests");
            set_rate_limit_headers(r.headers, verdict.retry_after, verdict.limit, verdict.window, verdict.reset_unix,
                                   verdict.tier);
            return r;
        }
    }
    if (!has_scope(scopes, info->scope)) return detail(401, missing_scope_message(info->scope));
    if (info->windowing == Windowing::personal) {
        if (!document_id.empty()) return detail(404, "Not Found");
        return personal_info(user, scopes);
    }
    if (!document_id.empty()) {
        if (info->windowing == Windowing::datetime) return detail(404, "Not Found");
        auto doc = store_.document(user, info->name, document_id, clock_.now_unix());
        if (!doc) return detail(404, "Document not found.");
        return http::json_response(200, std::move(*doc));
    }
    return collection(request, *info, user, store_.user(user).oura_user_id);
}

http::Response App::collection(const http::Request& request, const ResourceInfo& info, int user,
                               std::string_view user_key) {
    auto params = request.query_params();
    std::optional<DateWindow> dates;
    std::optional<TimeWindow> times;
    std::int64_t now = clock_.now_unix();
    if (info.windowing == Windowing::date) {
        auto w = parse_date_window(params, store_.today());
        if (auto* e = std::get_if<ApiError>(&w)) return http::json_response(e->status, std::move(e->body));
        dates = std::get<DateWindow>(w);
    } else if (info.windowing == Windowing::datetime) {
        auto w = parse_time_window(params, now);
        if (auto* e = std::get_if<ApiError>(&w)) return http::json_response(e->status, std::move(e->body));
        times = std::get<TimeWindow>(w);
    }
    auto fields = parse_fields(first_param(params, "fields"));
    const bool series = info.windowing == Windowing::datetime;
    std::size_t page_size = series && options_.series_page_size
                                ? *options_.series_page_size
                                : options_.page_size.value_or(series ? default_series_page_size : default_document_page_size);
    auto fingerprint = query_fingerprint(user_key, info.name, params);
    std::size_t offset = 0;
    if (auto token = first_param(params, "next_token"); token && !token->empty()) {
        auto decoded = decode_page_token(*token, fingerprint);
        if (!decoded) return detail(400, invalid_page_token);
        offset = *decoded;
    }
    std::string body;
    store_.read(user, info.name, [&](std::span<const Document> docs) {
        std::pair<std::size_t, std::size_t> range{0, docs.size()};
        if (dates) {
            range = date_range(docs, dates->start_day, dates->end_day);
        } else if (times) {
            // Nothing after the simulated now: samples of the next hours do not exist yet.
            range = times->latest && !times->given ? time_range(docs, std::numeric_limits<std::int64_t>::min(), now)
                                                   : time_range(docs, times->start, std::min(times->end, now));
            if (times->latest && range.second > range.first) range.first = range.second - 1;
        }
        auto window = docs.subspan(range.first, range.second - range.first);
        // Documents not complete at the simulated now (a sleep still going on) are not there yet;
        // they are few (the last day or two), so only then is the window copied.
        std::vector<Document> visible;
        if (std::any_of(window.begin(), window.end(), [&](const Document& d) { return d.visible_at > now; })) {
            for (const auto& d : window)
                if (d.visible_at <= now) visible.push_back(d);
            window = visible;
        }
        std::size_t begin = std::min(offset, window.size());
        std::size_t n = std::min(page_size, window.size() - begin);
        std::optional<std::string> next;
        if (begin + n < window.size()) next = encode_page_token(begin + n, fingerprint);
        body = build_envelope(window.subspan(begin, n), next, fields);
    });
    return http::json_response(200, std::move(body));
}

http::Response App::personal_info(int user, ScopeSet scopes) {
    auto doc = core::parse_json(store_.personal_info(user));
    // The id needs no scope; the rest is hidden without `personal` / `email` (API-NOTES §1).
    if (doc.IsObject()) {
        if (!has_scope(scopes, "personal"))
            for (const char* key : {"age", "weight", "height", "biological_sex"}) doc.RemoveMember(key);
        if (!has_scope(scopes, "email")) doc.RemoveMember("email");
    }
    return http::json_response(200, core::to_json(doc));
}

http::Response App::openapi() const {
    auto resources = all_resources();
    auto extra = store_.extra_resources();
    resources.insert(resources.end(), extra.begin(), extra.end());
    return http::json_response(200, openapi_document(resources));
}

http::Response App::authorize(const http::Request& request) {
    auto params = request.query_params();
    auto client_id = first_param(params, "client_id");
    if (!client_id || *client_id != options_.oauth.client_id) return detail(400, "Unknown client_id.");
    auto redirect_uri = first_param(params, "redirect_uri");
    if (!redirect_uri || !http::parse_url(*redirect_uri)) return detail(400, "redirect_uri must be an http(s) URL.");
    auto state = first_param(params, "state");
    auto redirect = [&](Params query) {
        if (state) query.emplace_back("state", *state);
        http::Response r;
        r.status = 302;
        r.headers.set("Location", append_query(*redirect_uri, query));
        r.headers.set("Cache-Control", "no-store");
        return r;
    };
    if (first_param(params, "response_type").value_or("") != "code")
        return redirect({{"error", "unsupported_response_type"}, {"error_description", "response_type must be code"}});
    auto method = first_param(params, "code_challenge_method").value_or("");
    if (!method.empty() && method != "S256" && method != "plain")
        return redirect({{"error", "invalid_request"}, {"error_description", "code_challenge_method must be S256"}});
    if (oauth_.take_denial())
        return redirect({{"error", "access_denied"}, {"error_description", "The user denied access."}});
    int user = options_.authorize_user;
    auto hint = first_param(params, "login_hint");
    if (!hint) hint = first_param(params, "user");
    if (hint) {
        auto found = store_.find_user(*hint);
        if (!found) return detail(400, "Unknown user in login_hint.");
        user = *found;
    }
    auto requested = first_param(params, "scope");
    ScopeSet scopes = (requested ? parse_scopes(*requested) : all_scopes) & oauth_.user_scopes(user);
    auto code =
        oauth_.issue_code(user, scopes, *redirect_uri, first_param(params, "code_challenge").value_or(""), method);
    return redirect({{"code", code}, {"scope", format_scopes(scopes)}});
}

http::Response App::token(const http::Request& request) {
    auto form = http::parse_query(request.body);
    auto result = oauth_.token(form, request.headers.get("Authorization"));
    count_grant(result.grant_type.empty() ? "none" : result.grant_type, result.status);
    auto r = http::json_response(result.status, std::move(result.body));
    r.headers.set("Cache-Control", "no-store");
    return r;
}

void App::count(const std::string& label, std::string_view outcome) {
    std::lock_guard lock(stats_mutex_);
    ++route_counts_[label][std::string(outcome)];
}

void App::count_grant(std::string_view grant_type, int status) {
    std::lock_guard lock(stats_mutex_);
    ++grant_counts_[std::string(grant_type)][std::to_string(status)];
}

}  // namespace oura::sim
