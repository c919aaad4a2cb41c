#include "oura/core/time.hpp"

#include <array>
#include <cstdio>

namespace oura::core {
namespace {

bool digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
    if (pos + n > s.size()) return false;
    int v = 0;
    for (std::size_t i = pos; i < pos + n; ++i) {
        if (s[i] < '0' || s[i] > '9') return false;
        v = v * 10 + (s[i] - '0');
    }
    out = v;
    return true;
}

std::optional<Days> date_at(std::string_view s) {
    int y = 0, m = 0, d = 0;
    if (s.size() < 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
    if (!digits(s, 0, 4, y) || !digits(s, 5, 2, m) || !digits(s, 8, 2, d)) return std::nullopt;
    std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{static_cast<unsigned>(m)},
                                    std::chrono::day{static_cast<unsigned>(d)}};
    if (!ymd.ok()) return std::nullopt;
    return Days{ymd};
}

std::string format_offset(int offset_minutes) {
    char sign = offset_minutes < 0 ? '-' : '+';
    int a = offset_minutes < 0 ? -offset_minutes : offset_minutes;
    std::array<char, 16> buf{};
    std::snprintf(buf.data(), buf.size(), "%c%02d:%02d", sign, (a / 60) % 100, a % 60);
    return buf.data();
}

std::string format_clock(Seconds t) {
    auto day = std::chrono::floor<std::chrono::days>(t);
    std::chrono::hh_mm_ss hms{t - day};
    std::array<char, 32> buf{};
    std::snprintf(buf.data(), buf.size(), "T%02d:%02d:%02d", static_cast<int>(hms.hours().count()),
                  static_cast<int>(hms.minutes().count()), static_cast<int>(hms.seconds().count()));
    return format_date(day) + buf.data();
}

}  // namespace

std::optional<Days> parse_date(std::string_view s) {
    if (s.size() != 10) return std::nullopt;
    return date_at(s);
}

std::string format_date(Days day) {
    std::chrono::year_month_day ymd{day};
    std::array<char, 32> buf{};
    std::snprintf(buf.data(), buf.size(), "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
    return buf.data();
}

std::optional<LocalInstant> parse_datetime(std::string_view s) {
    auto day = date_at(s);
    if (!day) return std::nullopt;
    if (s.size() == 10) return LocalInstant{Seconds{*day}, 0};
    if (s.size() < 19 || (s[10] != 'T' && s[10] != ' ') || s[13] != ':' || s[16] != ':') return std::nullopt;
    int hh = 0, mm = 0, ss = 0;
    if (!digits(s, 11, 2, hh) || !digits(s, 14, 2, mm) || !digits(s, 17, 2, ss) || hh > 23 || mm > 59 || ss > 60)
        return std::nullopt;
    std::size_t pos = 19;
    if (pos < s.size() && s[pos] == '.') {
        ++pos;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
    }
    int offset = 0;
    if (pos == s.size()) {
        // no offset: UTC
    } else if (s[pos] == 'Z' && pos + 1 == s.size()) {
        offset = 0;
    } else if ((s[pos] == '+' || s[pos] == '-') && (s.size() - pos == 6 || s.size() - pos == 5)) {
        int oh = 0, om = 0;
        bool colon = s.size() - pos == 6;
        if (!digits(s, pos + 1, 2, oh) || (colon && s[pos + 3] != ':') || !digits(s, pos + (colon ? 4 : 3), 2, om))
            return std::nullopt;
        offset = (oh * 60 + om) * (s[pos] == '-' ? -1 : 1);
    } else {
        return std::nullopt;
    }
    Seconds local = Seconds{*day} + std::chrono::hours(hh) + std::chrono::minutes(mm) + std::chrono::seconds(ss);
    return LocalInstant{local - std::chrono::minutes(offset), offset};
}

std::string format_datetime(Seconds utc, int offset_minutes) {
    return format_clock(utc + std::chrono::minutes(offset_minutes)) + format_offset(offset_minutes);
}

std::string format_utc(Seconds utc) { return format_datetime(utc, 0); }

std::string format_utc_millis(std::chrono::system_clock::time_point t) {
    auto secs = std::chrono::floor<std::chrono::seconds>(t);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t - secs).count();
    std::array<char, 16> buf{};
    std::snprintf(buf.data(), buf.size(), ".%03dZ", static_cast<int>(ms));
    return format_clock(Seconds{secs.time_since_epoch()}) + buf.data();
}

Days local_day(Seconds utc, int offset_minutes) {
    return std::chrono::floor<std::chrono::days>(utc + std::chrono::minutes(offset_minutes));
}

const Clock& system_clock() {
    static const SystemClock clock;
    return clock;
}

}  // namespace oura::core
