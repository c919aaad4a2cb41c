#pragma once
// JSON-lines logging: one object per line with ts, level, service, msg and fields.
// Fields whose names suggest a secret (token, secret, password, authorization, key) are written
// as "[redacted]" whatever the caller passes, so a slip cannot put a secret in the logs.

#include <cstdint>
#include <initializer_list>
#include <iosfwd>
#include <memory>
#include <mutex>
#include <optional>
#include <type_traits>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace oura::core {

enum class Level { debug = 0, info = 1, warn = 2, error = 3 };

// nullopt when the name is not a level.
std::optional<Level> parse_level(std::string_view name);

// Already-serialised JSON written as is (an object or array inside a log line).
struct JsonText {
    std::string_view json;
};

using FieldValue = std::variant<std::string_view, std::int64_t, double, bool, JsonText>;
struct Field {
    std::string_view key;
    FieldValue value;
    Field(std::string_view k, std::string_view v) : key(k), value(v) {}
    Field(std::string_view k, const std::string& v) : key(k), value(std::string_view(v)) {}
    Field(std::string_view k, const char* v) : key(k), value(std::string_view(v)) {}
    Field(std::string_view k, bool v) : key(k), value(v) {}
    Field(std::string_view k, JsonText v) : key(k), value(v) {}
    Field(std::string_view k, double v) : key(k), value(v) {}
    template <typename I, typename = std::enable_if_t<std::is_integral_v<I> && !std::is_same_v<I, bool>>>
    Field(std::string_view k, I v) : key(k), value(static_cast<std::int64_t>(v)) {}
};
using Fields = std::initializer_list<Field>;

class Logger {
public:
    // Writes to stderr unless `out` is given (tests). Thread-safe.
    explicit Logger(std::string service, Level min_level = Level::info, std::ostream* out = nullptr);

    void log(Level level, std::string_view msg, Fields fields = {}) const;
    void debug(std::string_view msg, Fields fields = {}) const { log(Level::debug, msg, fields); }
    void info(std::string_view msg, Fields fields = {}) const { log(Level::info, msg, fields); }
    void warn(std::string_view msg, Fields fields = {}) const { log(Level::warn, msg, fields); }
    void error(std::string_view msg, Fields fields = {}) const { log(Level::error, msg, fields); }

    const std::string& service() const { return service_; }
    bool enabled(Level level) const { return level >= min_level_; }

private:
    std::string service_;
    Level min_level_;
    std::ostream* out_;
    std::shared_ptr<std::mutex> mutex_;
};

class Env;

// The level OURA_LOG_LEVEL (or OURA_LOG_LEVEL_FILE) names, info when unset. Throws config_error
// naming the variable for anything else: a typo must not silently log at another level.
Level log_level(const Env& env);

// A logger for `service` at log_level(env) (the process environment when none is given).
// Throws config_error like log_level, so call it where the binary turns that into exit code 2.
Logger make_logger(std::string service, const Env& env);
Logger make_logger(std::string service);

// True for field names that may hold a secret.
bool is_secret_field(std::string_view key);

// A URL or libpq connection string with any password replaced by "***".
std::string redact_url(std::string_view url);

}  // namespace oura::core
