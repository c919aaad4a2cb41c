#include "oura/core/log.hpp"

#include "oura/core/config.hpp"

#include <array>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <optional>

#include "oura/core/json.hpp"
#include "oura/core/time.hpp"

namespace oura::core {

std::optional<Level> parse_level(std::string_view name) {
    if (name == "debug") return Level::debug;
    if (name == "info") return Level::info;
    if (name == "warn" || name == "warning") return Level::warn;
    if (name == "error") return Level::error;
    return std::nullopt;
}

Logger::Logger(std::string service, Level min_level, std::ostream* out)
    : service_(std::move(service)), min_level_(min_level), out_(out ? out : &std::cerr),
      mutex_(std::make_shared<std::mutex>()) {}

bool is_secret_field(std::string_view key) {
    std::string lower(key);
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (std::string_view word : {"token", "secret", "password", "authorization", "key", "cookie", "code_verifier"})
        if (lower.find(word) != std::string::npos) return true;
    return false;
}

std::string redact_url(std::string_view url) {
    std::string s(url);
    // URI form: scheme://user:password@host
    auto scheme = s.find("://");
    if (scheme != std::string::npos) {
        auto at = s.find('@', scheme + 3);
        auto colon = s.find(':', scheme + 3);
        if (at != std::string::npos && colon != std::string::npos && colon < at)
            s.replace(colon + 1, at - colon - 1, "***");
    }
    // key=value form and URI query parameters: password=...
    for (std::size_t pos = 0; (pos = s.find("password=", pos)) != std::string::npos;) {
        auto start = pos + 9;
        auto end = s.find_first_of(" &", start);
        if (end == std::string::npos) end = s.size();
        s.replace(start, end - start, "***");
        pos = start + 3;
    }
    return s;
}

void Logger::log(Level level, std::string_view msg, Fields fields) const {
    if (!enabled(level)) return;
    static constexpr std::array<std::string_view, 4> names{"debug", "info", "warn", "error"};
    std::string line;
    line.reserve(128);
    {
        JsonWriter w(line);
        w.begin_object()
            .field("ts", format_utc_millis(std::chrono::system_clock::now()))
            .field("level", names[static_cast<int>(level)])
            .field("service", service_)
            .field("msg", msg);
        for (const auto& f : fields) {
            w.key(f.key);
            if (is_secret_field(f.key)) {
                w.string("[redacted]");
                continue;
            }
            std::visit(
                [&](const auto& v) {
                    using T = std::decay_t<decltype(v)>;
                    if constexpr (std::is_same_v<T, std::string_view>)
                        w.string(v);
                    else if constexpr (std::is_same_v<T, bool>)
                        w.boolean(v);
                    else if constexpr (std::is_same_v<T, JsonText>)
                        w.raw(v.json);
                    else if constexpr (std::is_same_v<T, double>)
                        w.number(v);  // NaN, inf → null
                    else
                        w.integer(v);
                },
                f.value);
        }
        w.end_object();
    }
    line += '\n';
    std::lock_guard lock(*mutex_);
    *out_ << line << std::flush;
}

Level log_level(const Env& env) {
    auto name = env.get("OURA_LOG_LEVEL");
    if (!name) return Level::info;
    auto level = parse_level(*name);
    if (!level) throw config_error("OURA_LOG_LEVEL must be one of debug, info, warn, error, got '" + *name + "'");
    return *level;
}

Logger make_logger(std::string service, const Env& env) { return Logger(std::move(service), log_level(env)); }

Logger make_logger(std::string service) { return make_logger(std::move(service), Env::process()); }

}  // namespace oura::core
