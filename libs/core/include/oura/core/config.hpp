#pragma once
// Configuration comes from environment variables only (DESIGN §7). Any variable NAME may instead
// be given as NAME_FILE, the path of a mounted file holding the value (Kubernetes secrets).

#include <chrono>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace oura::core {

// Thrown for invalid configuration; the message names the variable and what is wrong, and never
// contains the value of a secret.
class config_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class Env {
public:
    static Env process();  // snapshot of this process's environment
    static Env from(std::map<std::string, std::string, std::less<>> vars);

    // NAME, or the contents of the file NAME_FILE names (one trailing newline trimmed).
    // Throws config_error when both are set or the file cannot be read.
    std::optional<std::string> get(std::string_view name) const;
    std::string get_or(std::string_view name, std::string_view fallback) const;
    std::string require(std::string_view name) const;  // throws config_error "NAME is required"
    long long get_int(std::string_view name, long long fallback, long long min, long long max) const;
    bool get_bool(std::string_view name, bool fallback) const;  // true/false/1/0/yes/no
    std::chrono::milliseconds get_duration(std::string_view name, std::chrono::milliseconds fallback) const;  // "30s", "250ms", "5m", "2h", plain seconds
    // An http:// or https:// URL with a host (and a port from 1 to 65535 when one is given);
    // `fallback` when unset. Throws config_error naming the variable.
    std::string get_url(std::string_view name, std::string_view fallback) const;
    // The path of a file this process can read; "" when unset. Throws config_error naming the
    // variable, so a missing CA bundle stops the start instead of failing every request later.
    std::string get_readable_file(std::string_view name) const;
    // An ISO 8601 instant with an offset ("2026-01-15T23:30:00Z", "...+13:00"); nullopt when unset.
    std::optional<std::chrono::sys_seconds> get_instant(std::string_view name) const;

private:
    std::map<std::string, std::string, std::less<>> vars_;
};

// True for http://host[:port][/...] and https://…: what every URL setting must look like.
bool is_http_url(std::string_view text);

// Parses "30s", "250ms", "5m", "2h" or a plain number of seconds; nullopt when malformed or longer
// than a year (nothing we configure waits that long, and the bound keeps the arithmetic exact).
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

// Process exit codes shared by every binary.
inline constexpr int exit_ok = 0;
inline constexpr int exit_failure = 1;  // the work failed
inline constexpr int exit_usage = 2;    // bad flags, bad configuration, unreachable dependency at start

}  // namespace oura::core
