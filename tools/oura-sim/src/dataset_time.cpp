// Calendar arithmetic, the users' clocks and document ids.

#include <chrono>

#include "dataset_internal.hpp"

namespace oura::sim::detail {

namespace chr = std::chrono;

CivilDate civil_from_days(std::int64_t epoch_day) {
    const chr::year_month_day ymd{chr::sys_days{chr::days{epoch_day}}};
    return {static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day())};
}

std::int64_t days_from_civil(int year, unsigned month, unsigned day) {
    const chr::sys_days d{chr::year{year} / chr::month{month} / chr::day{day}};
    return d.time_since_epoch().count();
}

namespace {

void append_digits(std::string& out, unsigned value, int width) {
    char buf[8];
    for (int i = width - 1; i >= 0; --i) {
        buf[i] = static_cast<char>('0' + value % 10);
        value /= 10;
    }
    out.append(buf, static_cast<std::size_t>(width));
}

std::int64_t last_sunday(int year, unsigned month) {
    return chr::sys_days{chr::year{year} / chr::month{month} / chr::Sunday[chr::last]}.time_since_epoch().count();
}

std::int64_t nth_sunday(int year, unsigned month, unsigned n) {
    return chr::sys_days{chr::year{year} / chr::month{month} / chr::Sunday[n]}.time_since_epoch().count();
}

}  // namespace

void append_date(std::string& out, std::int64_t epoch_day) {
    const CivilDate c = civil_from_days(epoch_day);
    append_digits(out, static_cast<unsigned>(c.year), 4);
    out += '-';
    append_digits(out, c.month, 2);
    out += '-';
    append_digits(out, c.day, 2);
}

void append_offset(std::string& out, int offset) {
    out += offset < 0 ? '-' : '+';
    const unsigned a = static_cast<unsigned>(offset < 0 ? -offset : offset);
    append_digits(out, a / 3600, 2);
    out += ':';
    append_digits(out, a % 3600 / 60, 2);
}

void append_local_time(std::string& out, Seconds utc, int offset) {
    const Seconds local = utc + offset;
    append_date(out, floor_div(local, day_length));
    const auto clock = static_cast<unsigned>(floor_mod(local, day_length));
    out += 'T';
    append_digits(out, clock / 3600, 2);
    out += ':';
    append_digits(out, clock % 3600 / 60, 2);
    out += ':';
    append_digits(out, clock % 60, 2);
    append_offset(out, offset);
}

std::string date_string(std::int64_t epoch_day) {
    std::string s;
    append_date(s, epoch_day);
    return s;
}

// --- TimeZone ------------------------------------------------------------------------------------

int TimeZone::home_offset_at(Seconds utc) const {
    if (rule_ == Rule::fixed) return standard_;
    const int year = civil_from_days(floor_div(utc, day_length)).year;
    Seconds begin = 0, end = 0;
    if (rule_ == Rule::eu) {
        // EU: summer time from the last Sunday of March to the last Sunday of October, 01:00 UTC.
        begin = last_sunday(year, 3) * day_length + 1 * hour;
        end = last_sunday(year, 10) * day_length + 1 * hour;
    } else {
        // US: second Sunday of March 02:00 standard time to first Sunday of November 02:00 daylight time.
        begin = nth_sunday(year, 3, 2) * day_length + 2 * hour - standard_;
        end = nth_sunday(year, 11, 1) * day_length + 2 * hour - (standard_ + 3600);
    }
    return (utc >= begin && utc < end) ? standard_ + 3600 : standard_;
}

std::pair<Seconds, Seconds> TimeZone::trip(std::int64_t block) const {
    // One week away per 42-day block. Leaving at 15:00 UTC (mid-morning at home) the wall clock
    // jumps to midnight of the next day; returning at 05:00 UTC (14:00 abroad) it falls back to
    // midnight or 01:00 of the same day. Neither jump splits a local date in two.
    Rng r(stream_key(trip_key_, 0, block, Salt::trip));
    const std::int64_t first = block * trip_block_days + r.range(7, 27);
    return {first * day_length + 15 * hour, (first + 7) * day_length + 5 * hour};
}

int TimeZone::offset_at(Seconds utc) const {
    if (travels_) {
        const auto [out, back] = trip(floor_div(floor_div(utc, day_length), trip_block_days));
        if (utc >= out && utc < back) return trip_offset;
    }
    return home_offset_at(utc);
}

Seconds TimeZone::local_to_utc(Seconds local) const {
    // Offsets stay within ±14 h and transitions are days apart, so the offsets in force around
    // `local` are among these three.
    const int candidates[3] = {offset_at(local - 14 * hour), offset_at(local), offset_at(local + 14 * hour)};
    std::optional<Seconds> best;
    for (int o : candidates) {
        const Seconds u = local - o;
        if (offset_at(u) == o && (!best || u < *best)) best = u;
    }
    return best ? *best : local - candidates[0];
}

Seconds TimeZone::day_start(std::int64_t epoch_day) const {
    Seconds lo = epoch_day * day_length - 15 * hour;  // local date < epoch_day here
    Seconds hi = epoch_day * day_length + 15 * hour;  // local date >= epoch_day here
    while (hi - lo > 1) {
        const Seconds mid = lo + (hi - lo) / 2;
        if (local_day(mid) >= epoch_day)
            hi = mid;
        else
            lo = mid;
    }
    return hi;
}

TimeZone zone_for_user(std::uint64_t seed, int user) {
    if (user == 0) return TimeZone(TimeZone::Rule::eu, 2 * 3600, false, 0);
    if (user == 1) return TimeZone(TimeZone::Rule::us, -5 * 3600, true, stream_key(seed, user, 0, Salt::trip));
    static constexpr int fixed[] = {1 * 3600, 5 * 3600 + 1800, -8 * 3600, 10 * 3600, -3 * 3600, 0, 8 * 3600};
    return TimeZone(TimeZone::Rule::fixed, fixed[(user - 2) % static_cast<int>(std::size(fixed))], false, 0);
}

// --- ids -----------------------------------------------------------------------------------------

std::string make_id(std::uint64_t seed, int user, IdKind kind, std::int64_t epoch_day, int ordinal) {
    constexpr std::uint64_t mask61 = (std::uint64_t{1} << 61) - 1;
    // 56 payload bits: user 16 | kind 6 | day 22 | ordinal 12, then a 6-round Feistel network over
    // two 61-bit halves keyed by the seed: a bijection, so distinct payloads give distinct ids.
    const std::uint64_t payload = (static_cast<std::uint64_t>(user) & 0xffff) << 40 |
                                  (static_cast<std::uint64_t>(kind) & 0x3f) << 34 |
                                  (static_cast<std::uint64_t>(epoch_day + (1 << 21)) & 0x3fffff) << 12 |
                                  (static_cast<std::uint64_t>(ordinal) & 0xfff);
    std::uint64_t left = payload & mask61, right = 0;
    for (std::uint64_t round = 0; round < 6; ++round) {
        const std::uint64_t f = mix64(right ^ mix64(seed * 0x9e3779b97f4a7c15ULL + round + 1)) & mask61;
        const std::uint64_t new_right = left ^ f;
        left = right;
        right = new_right;
    }
    // 122 bits into the 128-bit layout, leaving the version nibble (4) and the variant bits (10).
    __extension__ typedef unsigned __int128 u128;  // GCC's 128-bit integer; __extension__ keeps -Wpedantic quiet
    u128 bits = (static_cast<u128>(left) << 61) | right;
    auto take = [&bits](int n) {
        const unsigned v = static_cast<unsigned>(bits & ((1u << n) - 1));
        bits >>= n;
        return v;
    };
    static constexpr char hex[] = "0123456789abcdef";
    std::string id;
    id.reserve(36);
    for (int nibble = 0; nibble < 32; ++nibble) {
        if (nibble == 8 || nibble == 12 || nibble == 16 || nibble == 20) id += '-';
        unsigned v = 0;
        if (nibble == 12)
            v = 4;
        else if (nibble == 16)
            v = 8 | take(2);
        else
            v = take(4);
        id += hex[v];
    }
    return id;
}

}  // namespace oura::sim::detail
