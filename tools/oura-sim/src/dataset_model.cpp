// The per-user, per-day model every resource is derived from.

#include <algorithm>
#include <tuple>

#include "dataset_internal.hpp"

namespace oura::sim::detail {

namespace {

constexpr double two_pi = 6.283185307179586;

// The earliest and latest wake-up clock. Keeping them 4 h apart guarantees two consecutive wake-ups
// are at least 6 h apart in UTC even across a 14-hour eastward jump, so a night never vanishes.
constexpr Seconds earliest_wake = 5 * hour + 15 * minute;
constexpr Seconds latest_wake = 9 * hour + 15 * minute;
constexpr Seconds min_waking_window = 2 * hour;

std::pair<Seconds, Seconds> night_bounds(const RawNight& prev, const RawNight& cur) {
    const Seconds end = cur.wake;
    const Seconds start = std::max(end - cur.bed, prev.wake + min_waking_window);
    Seconds in_bed = (end - start) / 300 * 300;  // whole 5-minute epochs: the hypnogram matches exactly
    if (in_bed < 4 * hour) in_bed = 4 * hour;
    return {end - in_bed, end};
}

bool overlaps_rest_mode(const Person& p, Seconds from, Seconds to) {
    const std::int64_t block = floor_div(floor_div(from, day_length), rest_mode_block_days);
    for (std::int64_t b = block - 1; b <= block + 1; ++b) {
        if (auto m = rest_mode_in_block(p, b); m && m->start < to && from < m->end) return true;
    }
    return false;
}

class EventPlacer {
public:
    EventPlacer(const Person& p, Plan& plan) : p_(p), plan_(plan) {}

    // Puts the event as close to the wished wall-clock time as the waking window and the events
    // already placed allow; gives up rather than overlap anything.
    bool place(Event e, Seconds wall_clock, Seconds duration, Seconds margin) {
        e.ordinal = next_ordinal_++;
        const Seconds lo = plan_.sleep_end + margin;
        const Seconds hi = plan_.next_sleep_start - margin;
        if (hi - lo < duration) return false;
        const Seconds wished = p_.zone.local_to_utc(plan_.day * day_length + wall_clock);
        Seconds start = std::clamp(wished, lo, hi - duration);
        constexpr Seconds gap = 10 * minute;
        bool clear = false;
        for (int attempt = 0; attempt < 12 && !clear; ++attempt) {
            clear = true;
            for (const Event& o : plan_.events) {
                if (start < o.end + gap && o.start < start + duration + gap) {
                    start = o.end + gap;
                    clear = false;
                    break;
                }
            }
            if (start + duration > hi) return false;
        }
        if (!clear) return false;
        // Documents must fall on the plan's local day; charges and live readings are no documents.
        const bool document = e.kind != EventKind::charge && e.kind != EventKind::live;
        if (document && p_.zone.local_day(start) != plan_.day) return false;
        if (e.kind == EventKind::late_nap) {
            // A late nap ends after the 6 pm day change and counts for the next day.
            const Seconds end = start + duration;
            if (p_.zone.local_day(end) != plan_.day || p_.zone.local_clock(end) < 18 * hour) return false;
        }
        e.start = start;
        e.end = start + duration;
        plan_.events.push_back(e);
        return true;
    }

    void skip() { ++next_ordinal_; }

private:
    const Person& p_;
    Plan& plan_;
    int next_ordinal_ = 0;
};

void place_events(const Person& p, Plan& plan) {
    Rng r(stream_key(p.seed, p.index, plan.day, Salt::events));
    EventPlacer placer(p, plan);
    const auto wake_clock = static_cast<Seconds>(plan.raw.wake_clock);

    // The ring charges at least every fourth day (now and then sooner): even with a 14-hour time
    // zone change between two charges the battery (0.55-0.75 %/h) never runs flat. The charge is
    // placed first so that it always fits in the waking window.
    const bool charge_day = floor_mod(plan.day + p.charge_phase, 4) == 0 || r.chance(0.05);
    const Seconds charge_clock =
        r.chance(0.5) ? wake_clock + r.range(10, 40) * minute : r.range(18 * hour, 21 * hour + 30 * minute);
    const Seconds charge_length = r.range(45, 90) * minute;
    if (charge_day)
        placer.place(Event{EventKind::charge}, charge_clock, charge_length, 5 * minute);
    else
        placer.skip();

    int workouts = 0;
    if (r.chance(p.workout_rate)) workouts = r.chance(0.15) ? 2 : 1;
    if (plan.rest_mode) workouts = 0;
    int first_slot = -1;
    for (int i = 0; i < 2; ++i) {
        Event e{EventKind::workout};
        e.activity = r.chance(0.75) ? p.favourite_activities[static_cast<std::size_t>(r.range(0, 2))]
                                    : static_cast<int>(r.range(0, activity_kind_count - 1));
        const ActivityKind& kind = activity_kinds[e.activity];
        e.intensity = r.weighted(std::array<double, 3>{0.35, 0.45, 0.2});
        const bool tracked = kind.name == "walking" || kind.name == "running";
        // manual, autodetected, confirmed, workout_heart_rate
        e.source = tracked ? r.weighted(std::array<double, 4>{0.15, 0.5, 0.25, 0.1})
                           : r.weighted(std::array<double, 4>{0.4, 0.0, 0.2, 0.4});
        e.label = (e.source == 0 && r.chance(0.35)) ? static_cast<int>(r.range(0, 5)) : -1;
        const Seconds length = r.range(kind.min_minutes, kind.max_minutes) * minute;
        int slot = r.weighted(std::array<double, 3>{0.3, 0.2, 0.5});
        if (slot == first_slot) slot = (slot + 1) % 3;
        const Seconds clock = slot == 0   ? wake_clock + r.range(30, 120) * minute
                              : slot == 1 ? r.range(11 * hour + 30 * minute, 13 * hour + 30 * minute)
                                          : r.range(17 * hour, 19 * hour + 30 * minute);
        if (i < workouts) {
            placer.place(e, clock, length, 15 * minute);
            first_slot = slot;
        } else {
            placer.skip();
        }
    }

    {
        Event e{EventKind::session};
        // breathing, meditation, nap, relaxation, rest, body_status
        e.session_type = r.weighted(std::array<double, 6>{0.25, 0.3, 0.1, 0.15, 0.1, 0.1});
        e.mood = r.chance(0.6) ? r.weighted(std::array<double, 5>{0.05, 0.05, 0.3, 0.4, 0.2}) : -1;
        const Seconds length = r.range(5, 20) * minute;
        const Seconds clock = r.range(7 * hour + 30 * minute, 22 * hour);
        if (r.chance(plan.rest_mode ? 0.3 : 0.15))
            placer.place(e, clock, length, 15 * minute);
        else
            placer.skip();
    }

    const bool nap = r.chance(p.nap_rate * (plan.rest_mode ? 3 : 1));
    const Seconds nap_length = 300 * r.range(4, 18);
    const Seconds nap_clock = r.range(13 * hour, 16 * hour + 30 * minute);
    if (nap)
        placer.place(Event{EventKind::nap}, nap_clock, nap_length, 30 * minute);
    else
        placer.skip();

    const bool rest = r.chance(0.02);
    const Seconds rest_length = 300 * r.range(3, 8);
    const Seconds rest_clock = r.range(10 * hour, 17 * hour);
    if (rest)
        placer.place(Event{EventKind::rest_sleep}, rest_clock, rest_length, 30 * minute);
    else
        placer.skip();

    const bool deleted = r.chance(0.012);
    const Seconds deleted_length = 300 * r.range(4, 12);
    const Seconds deleted_clock = r.range(12 * hour, 18 * hour);
    if (deleted)
        placer.place(Event{EventKind::deleted_sleep}, deleted_clock, deleted_length, 30 * minute);
    else
        placer.skip();

    const bool live = r.chance(0.08);
    const Seconds live_length = r.range(60, 180);
    const Seconds live_clock = r.range(9 * hour, 21 * hour);
    if (live)
        placer.place(Event{EventKind::live}, live_clock, live_length, 15 * minute);
    else
        placer.skip();

    const bool late_nap = r.chance(0.03);
    const Seconds late_length = 300 * r.range(4, 12);
    const Seconds late_clock = r.range(18 * hour + 5 * minute, 19 * hour + 45 * minute);
    if (late_nap)
        placer.place(Event{EventKind::late_nap}, late_clock, late_length, 60 * minute);
    else
        placer.skip();

    std::sort(plan.events.begin(), plan.events.end(), [](const Event& a, const Event& b) { return a.start < b.start; });
}

}  // namespace

// --- people --------------------------------------------------------------------------------------

Person make_person(std::uint64_t seed, int index) {
    Person p;
    p.seed = seed;
    p.index = index;
    p.zone = zone_for_user(seed, index);
    p.oura_id = make_id(seed, index, IdKind::user, 0, 0);
    Rng r(stream_key(seed, index, 0, Salt::person));
    p.female = r.chance(0.5);
    p.age = static_cast<int>(r.range(24, 63));
    p.height_m = round_to(p.female ? r.uniform(1.56, 1.76) : r.uniform(1.68, 1.93), 0.01);
    p.weight_kg = round_to(r.uniform(20.0, 27.5) * p.height_m * p.height_m, 0.1);
    p.resting_hr = r.uniform(46, 62);
    p.hrv_base = r.uniform(30, 85) * (1.0 - (p.age - 24) * 0.008);
    p.breath_base = r.uniform(12.5, 16.0);
    p.wake_clock = r.range(6 * hour + 10 * minute, 7 * hour + 40 * minute);
    p.bed_duration = r.range(7 * hour + 15 * minute, 8 * hour + 45 * minute);
    p.activity_base = r.uniform(0.75, 1.3);
    p.workout_rate = r.uniform(0.25, 0.7);
    p.nap_rate = r.uniform(0.04, 0.18);
    int chosen = 0;
    while (chosen < 3) {
        const int a = static_cast<int>(r.range(0, activity_kind_count - 1));
        if (std::find(p.favourite_activities.begin(), p.favourite_activities.begin() + chosen, a) ==
            p.favourite_activities.begin() + chosen)
            p.favourite_activities[static_cast<std::size_t>(chosen++)] = a;
    }
    p.target_calories = 50 * static_cast<int>(r.range(6, 11));
    p.stride = r.uniform(0.67, 0.73);
    p.vo2_base = r.uniform(36, 50) - (p.age - 24) * 0.2 - (p.female ? 3 : 0);
    p.vascular_offset = static_cast<int>(r.range(-6, 4));
    p.charge_phase = static_cast<int>(r.range(0, 3));
    p.deep_factor = r.uniform(0.8, 1.2);
    p.rem_factor = r.uniform(0.8, 1.2);
    for (double& ph : p.trend_phase) ph = r.uniform(0, two_pi);
    p.second_ring = r.chance(0.5);
    p.ring_setup[0] = (days_from_civil(2021, 3, 1) + r.range(0, 500)) * day_length + r.range(8 * hour, 20 * hour);
    p.ring_setup[1] = (days_from_civil(2023, 6, 1) + r.range(0, 400)) * day_length + r.range(8 * hour, 20 * hour);
    return p;
}

double trend(const Person& p, std::int64_t epoch_day) {
    const auto d = static_cast<double>(epoch_day);
    return 0.5 * std::sin(two_pi * d / 37 + p.trend_phase[0]) + 0.3 * std::sin(two_pi * d / 113 + p.trend_phase[1]) +
           0.2 * std::sin(two_pi * d / 271 + p.trend_phase[2]);
}

RawNight raw_night(const Person& p, std::int64_t day) {
    Rng r(stream_key(p.seed, p.index, day, Salt::night));
    const int wd = weekday(day);
    const bool weekend = wd == 0 || wd == 6;
    const double wake =
        clamp(static_cast<double>(p.wake_clock) + (weekend ? 50 * minute : 0) + r.normal() * 25 * minute, earliest_wake,
              latest_wake);
    const double bed =
        clamp(static_cast<double>(p.bed_duration) + (weekend ? 20 * minute : 0) + r.normal() * 35 * minute, 5 * hour,
              10 * hour);
    RawNight n;
    n.day = day;
    n.wake_clock = std::floor(wake);
    n.wake = p.zone.local_to_utc(day * day_length + static_cast<Seconds>(wake));
    n.bed = static_cast<Seconds>(bed) / 300 * 300;
    n.worn = !r.chance(0.02);
    n.activity = clamp(p.activity_base * std::exp(r.normal() * 0.25) * (weekend ? 1.08 : 1.0), 0.4, 2.0);
    return n;
}

std::optional<RestModePeriod> rest_mode_in_block(const Person& p, std::int64_t block) {
    Rng r(stream_key(p.seed, p.index, block, Salt::rest_mode));
    if (!r.chance(0.8)) return std::nullopt;  // about every couple of months
    const std::int64_t first = block * rest_mode_block_days + r.range(3, 52);
    const std::int64_t last = first + r.range(2, 5);
    RestModePeriod m;
    m.block = block;
    m.start = p.zone.local_to_utc(first * day_length + r.range(8 * hour, 20 * hour));
    m.end = p.zone.local_to_utc(last * day_length + r.range(7 * hour, 11 * hour));
    m.start_day = p.zone.local_day(m.start);
    m.end_day = p.zone.local_day(m.end);
    return m;
}

Plan make_plan(const Person& p, std::int64_t day) {
    Plan plan;
    plan.day = day;
    plan.prev = raw_night(p, day - 1);
    plan.raw = raw_night(p, day);
    plan.next = raw_night(p, day + 1);
    std::tie(plan.sleep_start, plan.sleep_end) = night_bounds(plan.prev, plan.raw);
    plan.next_sleep_start = night_bounds(plan.raw, plan.next).first;
    plan.worn = plan.raw.worn;
    plan.rest_mode = overlaps_rest_mode(p, plan.sleep_start, plan.next_sleep_start);

    Rng r(stream_key(p.seed, p.index, day, Salt::plan));
    const double t = trend(p, day);
    plan.stress = clamp(0.45 + 0.2 * r.normal() - 0.1 * t, 0.05, 1.0);
    plan.temp_dev = clamp(r.normal() * 0.22 + (plan.rest_mode ? 0.6 : 0), -1.5, 2.5);
    plan.temp_trend = clamp(plan.temp_dev * 0.5 + r.normal() * 0.08, -1.5, 2.0);
    plan.hr_shift = r.normal() * 1.5 + (plan.prev.activity > 1.4 ? 1.5 : 0) + (plan.rest_mode ? 4 : 0) - t;
    plan.hrv_factor = clamp(std::exp(r.normal() * 0.12 + 0.06 * t - (plan.rest_mode ? 0.2 : 0)), 0.5, 1.6);
    place_events(p, plan);
    return plan;
}

std::uint64_t sleep_key(const Person& p, std::int64_t day, int event_ordinal) {
    return stream_key(p.seed, p.index, day * 64 + event_ordinal + 1, Salt::sleep);
}

// --- sleep ---------------------------------------------------------------------------------------

SleepDetail make_sleep_detail(const Person& p, const Plan& plan, SleepKind kind, Seconds start, Seconds end,
                              std::uint64_t key) {
    Rng r(key);
    SleepDetail d;
    const int n = static_cast<int>((end - start) / 300);
    std::string& s = d.stages;
    s.assign(static_cast<std::size_t>(n), '2');
    int lead = kind == SleepKind::long_sleep ? static_cast<int>(r.range(1, 5)) : 1;
    int tail = kind == SleepKind::long_sleep ? static_cast<int>(r.range(1, 3)) : 1;
    if (lead + tail >= n) lead = tail = 0;
    for (int i = 0; i < lead; ++i) s[static_cast<std::size_t>(i)] = '4';
    for (int i = n - tail; i < n; ++i) s[static_cast<std::size_t>(i)] = '4';
    int pos = lead;
    const int stop = n - tail;
    auto put = [&](char c, std::int64_t count) {
        for (std::int64_t k = 0; k < count && pos < stop; ++k) s[static_cast<std::size_t>(pos++)] = c;
    };
    if (kind == SleepKind::rest) {
        // Falsely detected sleep: fragments of light sleep and wake.
        for (int i = pos; i < stop; ++i) s[static_cast<std::size_t>(i)] = r.chance(0.45) ? '4' : '2';
        if (pos < stop) s[static_cast<std::size_t>(pos)] = '2';
    } else if (kind == SleepKind::nap) {
        const int span = stop - pos;
        const std::int64_t deep = span > 6 ? r.range(0, 3) : 0;
        const std::int64_t rem = span > 12 ? r.range(0, 3) : 0;
        put('2', 2);
        put('1', deep);
        put('2', std::max<std::int64_t>(1, span - 2 - deep - rem));
        put('3', rem);
        put('2', stop - pos);
    } else {
        // ~90-minute cycles: deep sleep early in the night, REM growing towards the morning.
        for (int cycle = 0; pos < stop; ++cycle) {
            const std::int64_t len = r.range(16, 20);
            const auto deep =
                std::max<std::int64_t>(0, std::lround((6.0 - 2.0 * cycle) * p.deep_factor + r.normal() * 0.8));
            const auto rem =
                std::max<std::int64_t>(0, std::lround((1.0 + 1.3 * cycle) * p.rem_factor + r.normal() * 0.8));
            const std::int64_t light_a = r.range(2, 4);
            const std::int64_t light_b = std::max<std::int64_t>(1, len - light_a - deep - rem);
            const bool wake = cycle > 0 && r.chance(0.35);
            put('2', light_a);
            put('1', deep);
            if (wake) put('4', 1);
            put('2', light_b);
            put('3', rem);
        }
    }

    int counts[5] = {0, 0, 0, 0, 0};
    for (char c : s) ++counts[c - '0'];
    d.deep = counts[1] * 300;
    d.light = counts[2] * 300;
    d.rem = counts[3] * 300;
    d.awake = counts[4] * 300;
    const auto first_sleep = s.find_first_not_of('4');
    d.latency = static_cast<int>(first_sleep == std::string::npos ? s.size() : first_sleep) * 300;

    // Heart rate and HRV per 5-minute epoch.
    const double base = p.resting_hr + plan.hr_shift + (kind == SleepKind::long_sleep ? 0 : 4);
    d.hr.resize(static_cast<std::size_t>(n));
    d.hrv.resize(static_cast<std::size_t>(n));
    double hr_sum = 0, hrv_sum = 0;
    int hr_count = 0, hrv_count = 0;
    for (int i = 0; i < n; ++i) {
        const char c = s[static_cast<std::size_t>(i)];
        const double x = static_cast<double>(i) / n;
        const double stage_hr = c == '1' ? -2.5 : c == '3' ? 2.5 : c == '4' ? 6.0 : 0.0;
        const double stage_hrv = c == '1' ? 1.25 : c == '3' ? 0.9 : c == '4' ? 0.7 : 1.0;
        const double v =
            base + 6.0 * std::exp(-i / 8.0) + 4.0 * std::max(0.0, x - 0.75) / 0.25 + stage_hr + r.normal() * 1.2;
        const double hv = p.hrv_base * plan.hrv_factor * stage_hrv * (0.85 + 0.3 * x) + r.normal() * 6;
        const bool missing = r.chance(0.02) || (i == 0 && r.chance(0.3));
        const bool hrv_missing = missing || r.chance(0.02);
        auto& hr = d.hr[static_cast<std::size_t>(i)];
        auto& hrv = d.hrv[static_cast<std::size_t>(i)];
        hr = missing ? -1 : clamp_int(v, 35, 130);
        hrv = hrv_missing ? -1 : clamp_int(hv, 5, 220);
        if (hr >= 0) hr_sum += hr, ++hr_count;
        if (hrv >= 0) hrv_sum += hrv, ++hrv_count;
    }
    if (hr_count == 0 && n > 0) {
        d.hr[static_cast<std::size_t>(n / 2)] = clamp_int(base, 35, 130);
        hr_sum = d.hr[static_cast<std::size_t>(n / 2)];
        hr_count = 1;
    }
    int lowest = 1000;
    for (int v : d.hr)
        if (v >= 0) lowest = std::min(lowest, v);
    // The API's lowest/average come from 30-second samples: a little below / around the 5-minute ones.
    d.lowest_hr = std::max(30, lowest - static_cast<int>(r.range(0, 2)));
    d.average_hr = round_to(hr_sum / std::max(1, hr_count) + r.uniform(-0.6, 0.6), 0.125);
    d.average_hrv = hrv_count ? static_cast<int>(std::lround(hrv_sum / hrv_count)) : static_cast<int>(p.hrv_base);
    d.average_breath = round_to(p.breath_base + r.normal() * 0.3, 0.125);

    // Movement per 30 s, following the stage of its 5-minute epoch.
    d.movement.reserve(static_cast<std::size_t>(n) * 10);
    for (char c : s) {
        for (int k = 0; k < 10; ++k) {
            const double u = r.uniform();
            char m = '1';
            switch (c) {
                case '1':
                    m = u < 0.96 ? '1' : '2';
                    break;
                case '2':
                    m = u < 0.8 ? '1' : u < 0.95 ? '2' : '3';
                    break;
                case '3':
                    m = u < 0.9 ? '1' : '2';
                    break;
                default:
                    m = u < 0.25 ? '1' : u < 0.5 ? '2' : u < 0.8 ? '3' : '4';
                    break;
            }
            d.movement += m;
        }
    }
    bool in_run = false;
    for (char m : d.movement) {
        if (m != '1' && !in_run) ++d.restless;
        in_run = m != '1';
    }
    return d;
}

SessionDetail make_session_detail(const Person& p, const Plan& plan, const Event& e) {
    Rng r(stream_key(p.seed, p.index, plan.day * 64 + e.ordinal, Salt::session));
    SessionDetail d;
    const auto n = static_cast<std::size_t>((e.end - e.start) / 5);
    d.hr.resize(n);
    d.hrv.resize(n);
    d.motion.resize(n);
    const double base = p.resting_hr + plan.hr_shift + 12;
    for (std::size_t i = 0; i < n; ++i) {
        const double x = static_cast<double>(i) / static_cast<double>(n);
        const bool missing = r.chance(0.01);
        d.hr[i] = missing ? -1 : clamp_int(base - 7 * x + r.normal() * 1.5, 38, 140);
        d.hrv[i] = missing ? -1 : clamp_int(p.hrv_base * plan.hrv_factor * (0.85 + 0.4 * x) + r.normal() * 5, 5, 220);
        d.motion[i] = r.chance(0.8) ? 0 : static_cast<int>(r.range(1, 3));
    }
    return d;
}

// --- timeline ------------------------------------------------------------------------------------

Timeline make_timeline(const Person& p, std::int64_t first_day, std::int64_t last_day) {
    Timeline tl;
    tl.person = &p;
    tl.first_day = first_day;
    tl.plans.reserve(static_cast<std::size_t>(last_day - first_day + 1));
    for (std::int64_t d = first_day; d <= last_day; ++d) tl.plans.push_back(make_plan(p, d));
    for (std::size_t k = 0; k < tl.plans.size(); ++k) {
        const Plan& plan = tl.plans[k];
        const int pk = static_cast<int>(k);
        tl.spans.push_back(
            {plan.sleep_start, plan.sleep_end, plan.worn ? SpanKind::night : SpanKind::nowear_night, pk, -1});
        for (std::size_t i = 0; i < plan.events.size(); ++i) {
            const Event& e = plan.events[i];
            SpanKind kind{};
            switch (e.kind) {
                case EventKind::charge:
                    kind = SpanKind::charge;
                    break;
                case EventKind::workout:
                    kind = SpanKind::workout;
                    break;
                case EventKind::session:
                    kind = SpanKind::session;
                    break;
                case EventKind::nap:
                case EventKind::late_nap:
                    kind = SpanKind::nap;
                    break;
                case EventKind::rest_sleep:
                    kind = SpanKind::rest_sleep;
                    break;
                case EventKind::live:
                    kind = SpanKind::live;
                    break;
                case EventKind::deleted_sleep:
                    continue;  // the user said it was not sleep
            }
            tl.spans.push_back({e.start, e.end, kind, pk, static_cast<int>(i)});
            if (e.kind == EventKind::charge) {
                Rng r(stream_key(p.seed, p.index, plan.day, Salt::charge));
                tl.charges.push_back({e.start, e.end, r.uniform(0.55, 0.75)});
            }
        }
    }
    std::sort(tl.spans.begin(), tl.spans.end(), [](const Span& a, const Span& b) { return a.start < b.start; });
    const std::int64_t b0 = floor_div(first_day, rest_mode_block_days) - 1;
    const std::int64_t b1 = floor_div(last_day, rest_mode_block_days) + 1;
    for (std::int64_t b = b0; b <= b1; ++b)
        if (auto m = rest_mode_in_block(p, b)) tl.rest_modes.push_back(*m);
    return tl;
}

const Plan* Timeline::plan_for_day(std::int64_t day) const {
    const std::int64_t i = day - first_day;
    if (i < 0 || i >= static_cast<std::int64_t>(plans.size())) return nullptr;
    return &plans[static_cast<std::size_t>(i)];
}

int Timeline::plan_index_at(Seconds t) const {
    auto it =
        std::upper_bound(plans.begin(), plans.end(), t, [](Seconds v, const Plan& pl) { return v < pl.sleep_start; });
    if (it == plans.begin()) return -1;
    --it;
    if (t >= it->next_sleep_start) return -1;
    return static_cast<int>(it - plans.begin());
}

bool Timeline::in_rest_mode(Seconds t) const {
    for (const auto& m : rest_modes)
        if (t >= m.start && t < m.end) return true;
    return false;
}

BatteryState battery_at(const Timeline& tl, Seconds t) {
    const Charge* last = nullptr;
    const Charge* before = nullptr;
    for (const Charge& c : tl.charges) {
        if (c.start > t) break;
        before = last;
        last = &c;
    }
    auto decayed = [](const Charge* from, Seconds at) {
        return from ? std::max(1.0, 100.0 - from->decay_per_hour * static_cast<double>(at - from->end) / hour) : 50.0;
    };
    if (!last) return {50, false, false};
    if (t < last->end) {
        // Fills to 100 % in the first 80 % of the time in the charger, then sits full.
        const double from = decayed(before, last->start);
        const Seconds full_at = last->start + (last->end - last->start) * 4 / 5;
        if (t >= full_at) return {100, false, true};
        const double level =
            from + (100.0 - from) * static_cast<double>(t - last->start) / static_cast<double>(full_at - last->start);
        return {static_cast<int>(std::floor(level)), true, true};
    }
    return {static_cast<int>(std::floor(decayed(last, t))), false, false};
}

double awake_met(const Person& p, const Plan& owner, Seconds t, Seconds local_clock) {
    // Ten-minute blocks of sitting, light or brisk moving, drawn per UTC block so that any day's
    // generation sees the same minute the same way.
    const Seconds m = floor_div(t, minute);
    Rng block(stream_key(p.seed, p.index, floor_div(m, 10), Salt::met_block));
    const double daytime = (local_clock >= 7 * hour && local_clock < 21 * hour)    ? 1.0
                           : (local_clock >= 21 * hour && local_clock < 23 * hour) ? 0.5
                                                                                   : 0.25;
    const double a = owner.raw.activity * (owner.rest_mode ? 0.5 : 1.0) * daytime;
    const double u = block.uniform();
    Rng r(stream_key(p.seed, p.index, m, Salt::met_minute));
    double met = 0;
    if (u < 0.05 * a)
        met = r.uniform(3.0, 5.2);
    else if (u < 0.27 * a)
        met = r.uniform(1.7, 2.9);
    else
        met = r.uniform(1.0, 1.45);
    return round_to(met, 0.1);
}

double workout_met(const Person& p, const Event& e, Seconds t) {
    const double target = activity_kinds[e.activity].met[static_cast<std::size_t>(e.intensity)];
    const double warm = std::min(1.0, 0.6 + 0.4 * static_cast<double>(t - e.start) / (5.0 * minute));
    Rng r(stream_key(p.seed, p.index, floor_div(t, minute), Salt::workout_met));
    return round_to(std::max(1.5, target * warm * (1.0 + 0.08 * r.normal())), 0.1);
}

}  // namespace oura::sim::detail
