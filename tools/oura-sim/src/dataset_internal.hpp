#pragma once
// Internals of the synthetic data generator, shared by dataset*.cpp only.
//
// Layering (each layer depends on bounded neighbours only, never on a chain of earlier days):
//   Person      (seed, user)            profile, time zone, habits
//   RawNight    (seed, user, day)       wake time, time in bed, whether the ring was worn
//   Plan        raw nights day-1..day+1 the night ending on `day` and the waking window after it
//   Timeline    plans first..last       non-overlapping spans in UTC for rows and minute classes
// Every value is drawn from a stream keyed by (seed, user, day or time slot, salt), so a day never
// depends on how many days a run generates.

#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "oura/core/json.hpp"

namespace oura::sim::detail {

using Seconds = std::int64_t;  // Unix seconds (UTC) unless a name says local

inline constexpr Seconds minute = 60;
inline constexpr Seconds hour = 3600;
inline constexpr Seconds day_length = 86400;

// ---------------------------------------------------------------------------------------------
// Calendar and time zones

inline std::int64_t floor_div(std::int64_t a, std::int64_t b) {
    const std::int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}
inline std::int64_t floor_mod(std::int64_t a, std::int64_t b) {
    return a - floor_div(a, b) * b;
}

struct CivilDate {
    int year;
    unsigned month;
    unsigned day;
};
CivilDate civil_from_days(std::int64_t epoch_day);
std::int64_t days_from_civil(int year, unsigned month, unsigned day);
inline int weekday(std::int64_t epoch_day) {
    return static_cast<int>(floor_mod(epoch_day + 4, 7));
}  // 0 = Sunday

void append_date(std::string& out, std::int64_t epoch_day);         // YYYY-MM-DD
void append_offset(std::string& out, int offset_seconds);           // +HH:MM
void append_local_time(std::string& out, Seconds utc, int offset);  // YYYY-MM-DDTHH:MM:SS+HH:MM
std::string date_string(std::int64_t epoch_day);

// A user's clock. Offsets are seconds east of UTC; rules are written out here so no tz database
// is needed. Transitions of the travelling user sit in the middle of a waking day so that every
// local date is one contiguous stretch of UTC time.
class TimeZone {
public:
    enum class Rule { fixed, eu, us };
    TimeZone() = default;
    TimeZone(Rule rule, int standard_offset, bool travels, std::uint64_t trip_key)
        : rule_(rule), standard_(standard_offset), travels_(travels), trip_key_(trip_key) {}

    int offset_at(Seconds utc) const;
    // The earliest UTC instant showing `local` on the wall; a wall time skipped by a transition
    // maps as if the old offset still applied.
    Seconds local_to_utc(Seconds local) const;
    std::int64_t local_day(Seconds utc) const { return floor_div(utc + offset_at(utc), day_length); }
    Seconds day_start(std::int64_t epoch_day) const;  // first instant whose local date is epoch_day
    Seconds local_clock(Seconds utc) const { return floor_mod(utc + offset_at(utc), day_length); }

    static constexpr int trip_offset = 9 * 3600;
    static constexpr std::int64_t trip_block_days = 42;
    // [departure, return) of the trip in the 42-day block, UTC.
    std::pair<Seconds, Seconds> trip(std::int64_t block) const;

private:
    int home_offset_at(Seconds utc) const;
    Rule rule_ = Rule::fixed;
    int standard_ = 0;
    bool travels_ = false;
    std::uint64_t trip_key_ = 0;
};

TimeZone zone_for_user(std::uint64_t seed, int user);

// ---------------------------------------------------------------------------------------------
// Deterministic randomness

inline std::uint64_t mix64(std::uint64_t x) {
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

// Salts keep the streams of different purposes apart.
enum class Salt : std::uint64_t {
    person = 1,
    night,
    plan,
    events,
    sleep,
    session,
    workout_hr,
    live_hr,
    awake_hr_slot,
    met_block,
    met_minute,
    workout_met,
    battery_slot,
    charge,
    trip,
    rest_mode,
    tags,
    daily,
    activity,
    ring,
};

inline std::uint64_t stream_key(std::uint64_t seed, std::int64_t user, std::int64_t slot, Salt salt) {
    std::uint64_t h = mix64(seed + 0x9e3779b97f4a7c15ULL);
    h = mix64(h ^ (static_cast<std::uint64_t>(user) * 0xd1b54a32d192ed03ULL + 0x632be59bd9b4e019ULL));
    h = mix64(h + static_cast<std::uint64_t>(slot) * 0x8cb92ba72f3d8dd7ULL);
    return mix64(h ^ (static_cast<std::uint64_t>(salt) * 0xaef17502108ef2d9ULL));
}

// splitmix64 as a stream: small, fast, good enough for synthetic data.
class Rng {
public:
    explicit Rng(std::uint64_t key) : state_(key) {}
    std::uint64_t next() {
        state_ += 0x9e3779b97f4a7c15ULL;
        return mix64(state_);
    }
    double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }  // [0, 1)
    double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
    std::int64_t range(std::int64_t lo, std::int64_t hi) {  // inclusive
        return lo + static_cast<std::int64_t>(next() % static_cast<std::uint64_t>(hi - lo + 1));
    }
    bool chance(double p) { return uniform() < p; }
    double normal() {  // Box-Muller; one value per call keeps the draw count fixed
        const double u1 = 1.0 - uniform();
        const double u2 = uniform();
        return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
    }
    // Index drawn with the given relative weights.
    template <std::size_t N>
    int weighted(const std::array<double, N>& w) {
        double total = 0;
        for (double x : w) total += x;
        double u = uniform() * total;
        for (std::size_t i = 0; i < N; ++i) {
            if (u < w[i]) return static_cast<int>(i);
            u -= w[i];
        }
        return static_cast<int>(N - 1);
    }

private:
    std::uint64_t state_;
};

inline double clamp(double v, double lo, double hi) {
    return v < lo ? lo : (v > hi ? hi : v);
}
inline int clamp_int(double v, int lo, int hi) {
    return static_cast<int>(std::lround(clamp(v, static_cast<double>(lo), static_cast<double>(hi))));
}
inline double round_to(double v, double step) {
    return std::round(v / step) * step;
}

// Resource codes inside document ids (6 bits).
enum class IdKind : std::uint64_t {
    daily_activity = 1,
    daily_cardiovascular_age,
    daily_readiness,
    daily_resilience,
    daily_sleep,
    daily_spo2,
    daily_stress,
    enhanced_tag,
    rest_mode_period,
    session,
    sleep,
    sleep_time,
    tag,
    vo2_max,
    workout,
    ring_configuration,
    user = 63,
};

// UUID-shaped (version 4 layout) id: a keyed bijection of (user, kind, day, ordinal), so two
// different documents can never share an id and different seeds give different ids.
std::string make_id(std::uint64_t seed, int user, IdKind kind, std::int64_t epoch_day, int ordinal);

// ---------------------------------------------------------------------------------------------
// JSON output: the vocabulary of the generator (fields with a fixed number of decimals, local
// times, dates) on top of core::JsonWriter, which does the writing.

class JsonWriter {
public:
    explicit JsonWriter(std::string& out) : w_(out) {}
    JsonWriter& open() {
        w_.begin_object();
        return *this;
    }
    JsonWriter& close() {
        w_.end_object();
        return *this;
    }
    JsonWriter& open_array() {
        w_.begin_array();
        return *this;
    }
    JsonWriter& close_array() {
        w_.end_array();
        return *this;
    }
    JsonWriter& key(std::string_view k) {
        w_.key(k);
        return *this;
    }
    JsonWriter& integer(std::int64_t v) {
        w_.integer(v);
        return *this;
    }
    // A JSON number that always reads as a float ("61.0"), rounded to `decimals` (0 to 6).
    JsonWriter& number(double v, int decimals) {
        static constexpr double scale[] = {1, 10, 100, 1000, 10000, 100000, 1000000};
        double r = std::round(v * scale[decimals]) / scale[decimals];
        if (r == 0) r = 0;  // no "-0.0"
        w_.number(r);       // RapidJSON writes whole doubles as "61.0"
        return *this;
    }
    JsonWriter& boolean(bool v) {
        w_.boolean(v);
        return *this;
    }
    JsonWriter& null() {
        w_.null();
        return *this;
    }
    JsonWriter& string(std::string_view s) {
        w_.string(s);
        return *this;
    }

    JsonWriter& int_field(std::string_view k, std::int64_t v) { return key(k).integer(v); }
    JsonWriter& num_field(std::string_view k, double v, int decimals) { return key(k).number(v, decimals); }
    JsonWriter& str_field(std::string_view k, std::string_view v) { return key(k).string(v); }
    JsonWriter& bool_field(std::string_view k, bool v) { return key(k).boolean(v); }
    JsonWriter& null_field(std::string_view k) { return key(k).null(); }
    JsonWriter& opt_int_field(std::string_view k, std::optional<std::int64_t> v) {
        return v ? int_field(k, *v) : null_field(k);
    }
    JsonWriter& opt_num_field(std::string_view k, std::optional<double> v, int decimals) {
        return v ? num_field(k, *v, decimals) : null_field(k);
    }
    JsonWriter& opt_str_field(std::string_view k, std::optional<std::string_view> v) {
        return v ? str_field(k, *v) : null_field(k);
    }
    JsonWriter& local_time_field(std::string_view k, Seconds utc, int offset) {
        scratch_.clear();
        append_local_time(scratch_, utc, offset);
        return str_field(k, scratch_);
    }
    JsonWriter& date_field(std::string_view k, std::int64_t epoch_day) {
        scratch_.clear();
        append_date(scratch_, epoch_day);
        return str_field(k, scratch_);
    }

private:
    core::JsonWriter w_;
    std::string scratch_;  // reused for formatted times: millions of samples, no allocation each
};

// ---------------------------------------------------------------------------------------------
// The simulated people

struct ActivityKind {
    std::string_view name;
    std::array<double, 3> met;  // easy, moderate, hard
    int steps_per_minute;
    double metres_per_minute;  // 0: the workout has no distance
    int min_minutes;
    int max_minutes;
};
inline constexpr ActivityKind activity_kinds[] = {
    {"walking", {3.5, 4.3, 5.2}, 105, 80, 20, 75},  {"running", {7.0, 9.5, 11.5}, 160, 170, 20, 70},
    {"cycling", {5.0, 7.5, 10.0}, 0, 330, 30, 120}, {"strength_training", {3.5, 5.0, 6.5}, 15, 0, 30, 70},
    {"yoga", {2.5, 3.0, 4.0}, 5, 0, 30, 75},        {"hiking", {5.0, 6.5, 7.5}, 100, 70, 60, 180},
    {"swimming", {5.5, 7.5, 9.8}, 0, 40, 25, 60},   {"tennis", {5.0, 7.0, 8.0}, 70, 0, 45, 90},
    {"dancing", {4.0, 5.5, 7.0}, 90, 0, 30, 90},
};
inline constexpr int activity_kind_count = static_cast<int>(std::size(activity_kinds));

struct Person {
    std::uint64_t seed = 1;
    int index = 0;
    TimeZone zone;
    std::string oura_id;
    int age = 0;
    bool female = false;
    double weight_kg = 0, height_m = 0;
    double resting_hr = 0, hrv_base = 0, breath_base = 0;
    Seconds wake_clock = 0;    // typical wake time, seconds after local midnight
    Seconds bed_duration = 0;  // typical time in bed
    double activity_base = 1, workout_rate = 0.4, nap_rate = 0.1;
    std::array<int, 3> favourite_activities{};
    int target_calories = 400;
    double stride = 0.7;
    double vo2_base = 40;
    int vascular_offset = 0;
    int charge_phase = 0;
    double deep_factor = 1, rem_factor = 1;
    std::array<double, 3> trend_phase{};
    bool second_ring = false;
    Seconds ring_setup[2] = {0, 0};
};

Person make_person(std::uint64_t seed, int index);
double trend(const Person& p, std::int64_t epoch_day);  // slow wellbeing/fitness wave in [-1, 1]

struct RawNight {
    std::int64_t day = 0;
    Seconds wake = 0;  // UTC end of the night's sleep
    Seconds bed = 0;   // desired time in bed, multiple of 300 s
    bool worn = true;
    double activity = 1;  // how active the following waking day is
    double wake_clock = 0;
};
RawNight raw_night(const Person& p, std::int64_t day);

enum class EventKind : std::uint8_t { charge, workout, session, nap, rest_sleep, deleted_sleep, late_nap, live };

struct Event {
    EventKind kind;
    Seconds start = 0, end = 0;
    int ordinal = 0;       // index in the plan's drafting order: keys the event's own streams
    int activity = 0;      // workouts: index into activity_kinds
    int intensity = 0;     // workouts: 0 easy, 1 moderate, 2 hard
    int source = 0;        // workouts: index into workout sources
    int label = -1;        // workouts: index into labels, -1 none
    int session_type = 0;  // sessions
    int mood = -1;         // sessions: -1 none
};

struct RestModePeriod {
    Seconds start = 0, end = 0;
    std::int64_t start_day = 0, end_day = 0;
    std::int64_t block = 0;
};
std::optional<RestModePeriod> rest_mode_in_block(const Person& p, std::int64_t block);
inline constexpr std::int64_t rest_mode_block_days = 61;

struct Plan {
    std::int64_t day = 0;
    RawNight prev, raw, next;
    Seconds sleep_start = 0, sleep_end = 0;  // the night ending on `day` (bounds even if not worn)
    Seconds next_sleep_start = 0;            // end of the waking window
    bool worn = true;
    double stress = 0, temp_dev = 0, temp_trend = 0, hr_shift = 0, hrv_factor = 1;
    bool rest_mode = false;
    std::vector<Event> events;  // sorted by start, inside [sleep_end, next_sleep_start)
};
Plan make_plan(const Person& p, std::int64_t day);

// Sleep of one period, at 5-minute resolution (the 30-second strings repeat each 5-minute epoch).
struct SleepDetail {
    std::string stages;    // sleep_phase_5_min
    std::string movement;  // movement_30_sec
    std::vector<int> hr;   // per 5 min, -1 = null
    std::vector<int> hrv;  // per 5 min, -1 = null
    int deep = 0, light = 0, rem = 0, awake = 0, latency = 0, restless = 0;
    int lowest_hr = 0, average_hrv = 0;
    double average_hr = 0, average_breath = 0;
};
enum class SleepKind { long_sleep, nap, rest };
SleepDetail make_sleep_detail(const Person& p, const Plan& plan, SleepKind kind, Seconds start, Seconds end,
                              std::uint64_t key);

struct SessionDetail {
    std::vector<int> hr, hrv, motion;  // per 5 s, -1 = null
};
SessionDetail make_session_detail(const Person& p, const Plan& plan, const Event& e);

// What the ring sees at an instant.
enum class SpanKind : std::uint8_t { night, nowear_night, nap, rest_sleep, workout, session, live, charge };
struct Span {
    Seconds start, end;
    SpanKind kind;
    int plan;   // index into Timeline::plans
    int event;  // index into the plan's events, -1 for the night
};

struct Charge {
    Seconds start, end;
    double decay_per_hour;
};

struct Timeline {
    const Person* person = nullptr;
    std::int64_t first_day = 0;
    std::vector<Plan> plans;  // first_day, first_day + 1, ...
    std::vector<Span> spans;  // sorted, non-overlapping
    std::vector<Charge> charges;
    std::vector<RestModePeriod> rest_modes;

    const Plan* plan_for_day(std::int64_t day) const;
    bool in_rest_mode(Seconds t) const;
    int plan_index_at(Seconds t) const;  // plan whose [sleep_start, next_sleep_start) holds t; -1 if none
};
Timeline make_timeline(const Person& p, std::int64_t first_day, std::int64_t last_day);

struct BatteryState {
    int level;
    bool charging;
    bool in_charger;
};
BatteryState battery_at(const Timeline& tl, Seconds t);

double awake_met(const Person& p, const Plan& owner, Seconds t, Seconds local_clock);
double workout_met(const Person& p, const Event& e, Seconds t);
// Sleep streams are keyed by (day, event): the night uses event -1.
std::uint64_t sleep_key(const Person& p, std::int64_t day, int event_ordinal);

}  // namespace oura::sim::detail
