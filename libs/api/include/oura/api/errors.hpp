#pragma once
// What went wrong with an Oura call, in the terms the callers act on (refresh once, record the
// missing scope, back off, give up).

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace oura::api {

enum class ErrorKind {
    expired_token,  // 401 other than a scope refusal: refresh once, then retry
    missing_scope,  // 401 "Token is not authorized access <scope> scope.": never refresh, record per user × resource
    forbidden,      // 403: membership lapsed or permission missing
    not_found,      // 404
    rate_limited,   // 429 (retry_after tells when)
    server_error,   // 5xx
    network,        // no usable answer: resolve/connect/TLS failure, reset, protocol error
    timeout,        // connect or read timeout, or 408
    bad_request,    // 400/422 and other 4xx: our request is wrong, retrying cannot help
    invalid_grant,  // OAuth: the code or refresh token is spent, expired or revoked
    breaker_open,   // the circuit breaker refused the call; nothing was sent
    bad_response,   // a 2xx whose body is not what Oura documents (truncated, invalid JSON)
};
std::string_view to_string(ErrorKind kind);

// Worth trying again later with the same request: rate_limited, server_error, network, timeout,
// bad_response, breaker_open.
bool is_transient(ErrorKind kind);

struct Classified {
    ErrorKind kind = ErrorKind::bad_response;
    std::string detail;  // Oura's message, shortened; empty when the body had none
    std::string scope;   // for missing_scope: the scope Oura names
};

// Pure: maps a non-2xx status and its body to a kind. Understands {"detail": "..."},
// {"detail": [{"loc": [...], "msg": "..."}, ...]} (FastAPI validation), RFC 7807-like
// {"status", "title", "detail"} and OAuth {"error", "error_description"}; any other body is ignored.
Classified classify(int status, std::string_view body);

// The human-readable message of an error body (as classify reads it), at most ~300 characters.
std::string error_detail(std::string_view body);

class api_error : public std::runtime_error {
public:
    // `resource` is a label ("sleep", "oauth_token"); `detail` must already be free of secrets
    // (the client scrubs what it sent).
    api_error(ErrorKind kind, int status, std::string detail, std::string_view resource = {},
              std::optional<std::chrono::seconds> retry_after = std::nullopt, std::string scope = {});

    ErrorKind kind() const { return kind_; }
    int status() const { return status_; }  // 0 when no HTTP status came back
    const std::string& detail() const { return detail_; }
    const std::string& scope() const { return scope_; }  // missing_scope only
    const std::string& resource() const { return resource_; }
    std::optional<std::chrono::seconds> retry_after() const { return retry_after_; }

private:
    ErrorKind kind_;
    int status_;
    std::string detail_, resource_, scope_;
    std::optional<std::chrono::seconds> retry_after_;
};

}  // namespace oura::api
