#include "oura/api/errors.hpp"

#include <rapidjson/document.h>

#include <cctype>

#include "oura/http/message.hpp"

namespace oura::api {

namespace {

constexpr std::size_t max_detail = 300;

std::string_view str(const rapidjson::Value& obj, const char* key) {
    if (!obj.IsObject()) return {};
    auto it = obj.FindMember(key);
    if (it == obj.MemberEnd() || !it->value.IsString()) return {};
    return {it->value.GetString(), it->value.GetStringLength()};
}

// Printable, single-line and bounded: a detail ends up in logs and job error columns.
std::string tidy(std::string_view text) {
    std::string out;
    for (char c : text) {
        if (out.size() >= max_detail) {
            // Cut on a UTF-8 character boundary.
            while (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xC0) == 0x80) out.pop_back();
            if (!out.empty() && static_cast<unsigned char>(out.back()) >= 0xC0) out.pop_back();
            out += "…";
            break;
        }
        auto u = static_cast<unsigned char>(c);
        out.push_back(u < 0x20 || u == 0x7f ? ' ' : c);
    }
    return out;
}

std::string validation_messages(const rapidjson::Value& list) {
    std::string out;
    for (const auto& item : list.GetArray()) {
        if (!item.IsObject()) continue;
        std::string where;
        auto loc = item.FindMember("loc");
        if (loc != item.MemberEnd() && loc->value.IsArray()) {
            for (const auto& part : loc->value.GetArray()) {
                if (!where.empty()) where += '.';
                if (part.IsString())
                    where.append(part.GetString(), part.GetStringLength());
                else if (part.IsInt64())
                    where += std::to_string(part.GetInt64());
            }
        }
        auto msg = str(item, "msg");
        if (!out.empty()) out += "; ";
        if (!where.empty()) out += where + ": ";
        out += msg;
    }
    return out;
}

std::string detail_of(const rapidjson::Document& doc) {
    if (!doc.IsObject()) return {};
    auto d = doc.FindMember("detail");
    if (d != doc.MemberEnd()) {
        if (d->value.IsString()) return {d->value.GetString(), d->value.GetStringLength()};
        if (d->value.IsArray()) return validation_messages(d->value);
    }
    if (auto error = str(doc, "error"); !error.empty()) {
        auto description = str(doc, "error_description");
        return description.empty() ? std::string(error) : std::string(error) + ": " + std::string(description);
    }
    if (auto title = str(doc, "title"); !title.empty()) return std::string(title);
    if (auto message = str(doc, "message"); !message.empty()) return std::string(message);
    return {};
}

// "Token is not authorized access heart_health scope." → "heart_health"
std::optional<std::string> scope_refused(std::string_view detail) {
    std::string lower(detail);
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    constexpr std::string_view marker = "not authorized access ";
    auto at = lower.find(marker);
    if (at == std::string::npos) return std::nullopt;
    auto start = at + marker.size();
    auto end = lower.find(" scope", start);
    if (end == std::string::npos || end == start) return std::nullopt;
    auto scope = detail.substr(start, end - start);
    while (!scope.empty() && scope.back() == ' ') scope.remove_suffix(1);
    return std::string(scope);
}

}  // namespace

std::string_view to_string(ErrorKind kind) {
    switch (kind) {
        case ErrorKind::expired_token:
            return "expired_token";
        case ErrorKind::missing_scope:
            return "missing_scope";
        case ErrorKind::forbidden:
            return "forbidden";
        case ErrorKind::not_found:
            return "not_found";
        case ErrorKind::rate_limited:
            return "rate_limited";
        case ErrorKind::server_error:
            return "server_error";
        case ErrorKind::network:
            return "network";
        case ErrorKind::timeout:
            return "timeout";
        case ErrorKind::bad_request:
            return "bad_request";
        case ErrorKind::invalid_grant:
            return "invalid_grant";
        case ErrorKind::breaker_open:
            return "breaker_open";
        case ErrorKind::bad_response:
            return "bad_response";
    }
    return "unknown";
}

bool is_transient(ErrorKind kind) {
    switch (kind) {
        case ErrorKind::rate_limited:
        case ErrorKind::server_error:
        case ErrorKind::network:
        case ErrorKind::timeout:
        case ErrorKind::bad_response:
        case ErrorKind::breaker_open:
            return true;
        default:
            return false;
    }
}

std::string error_detail(std::string_view body) {
    rapidjson::Document doc;
    doc.Parse(body.data(), body.size());
    if (doc.HasParseError()) return {};
    return tidy(detail_of(doc));
}

Classified classify(int status, std::string_view body) {
    Classified out;
    rapidjson::Document doc;
    doc.Parse(body.data(), body.size());
    bool json = !doc.HasParseError() && doc.IsObject();
    out.detail = json ? tidy(detail_of(doc)) : std::string();
    if (out.detail.empty()) out.detail = std::string(http::reason(status));

    // OAuth token endpoint errors (RFC 6749 §5.2) name themselves.
    if (json && (status == 400 || status == 401)) {
        auto error = str(doc, "error");
        if (error == "invalid_grant") {
            out.kind = ErrorKind::invalid_grant;
            return out;
        }
        if (error == "invalid_client" || error == "unauthorized_client" || error == "invalid_request" ||
            error == "unsupported_grant_type" || error == "invalid_scope") {
            out.kind = ErrorKind::bad_request;  // our configuration is wrong; refreshing cannot help
            return out;
        }
    }
    if (status == 401) {
        if (auto scope = scope_refused(out.detail)) {
            out.kind = ErrorKind::missing_scope;
            out.scope = *scope;
        } else {
            out.kind = ErrorKind::expired_token;
        }
    } else if (status == 403) {
        out.kind = ErrorKind::forbidden;
    } else if (status == 404) {
        out.kind = ErrorKind::not_found;
    } else if (status == 408) {
        out.kind = ErrorKind::timeout;
    } else if (status == 429) {
        out.kind = ErrorKind::rate_limited;
    } else if (status >= 500 && status <= 599) {
        out.kind = ErrorKind::server_error;
    } else if (status >= 400 && status <= 499) {
        out.kind = ErrorKind::bad_request;
    } else {
        out.kind = ErrorKind::bad_response;  // 1xx/3xx where an answer was expected
    }
    return out;
}

namespace {
std::string message(ErrorKind kind, int status, const std::string& detail, std::string_view resource) {
    std::string m = "Oura API";
    if (!resource.empty()) m += " " + std::string(resource);
    m += ": " + std::string(to_string(kind));
    if (status) m += " (HTTP " + std::to_string(status) + ")";
    if (!detail.empty()) m += ": " + detail;
    return m;
}
}  // namespace

api_error::api_error(ErrorKind kind, int status, std::string detail, std::string_view resource,
                     std::optional<std::chrono::seconds> retry_after, std::string scope)
    : std::runtime_error(message(kind, status, detail, resource)),
      kind_(kind),
      status_(status),
      detail_(std::move(detail)),
      resource_(resource),
      scope_(std::move(scope)),
      retry_after_(retry_after) {}

}  // namespace oura::api
