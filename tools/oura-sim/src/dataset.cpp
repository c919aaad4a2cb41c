// Synthetic Oura documents: every resource of a (user, local day) rendered from one model.

#include "dataset.hpp"

#include <algorithm>
#include <map>
#include <stdexcept>

#include "dataset_internal.hpp"

namespace oura::sim {

using namespace detail;

namespace {

constexpr std::string_view workout_sources[] = {"manual", "autodetected", "confirmed", "workout_heart_rate"};
constexpr std::string_view intensities[] = {"easy", "moderate", "hard"};
constexpr std::string_view session_types[] = {"breathing", "meditation", "nap", "relaxation", "rest", "body_status"};
constexpr std::string_view moods[] = {"bad", "worse", "same", "good", "great"};
constexpr std::string_view workout_labels[] = {"Lunch walk", "Commute",      "Morning run",
                                               "Gym",        "With friends", "Intervals"};

struct TagKind {
    std::string_view code;        // enhanced_tag.tag_type_code
    std::string_view short_name;  // the deprecated tag collection's name; empty for custom tags
    std::string_view custom_name;
    Seconds earliest, latest;  // wall-clock window for the start
    Seconds length;            // 0: no end time
};
constexpr TagKind tag_kinds[] = {
    {"tag_generic_alcohol", "alcohol", {}, 18 * hour, 22 * hour + 30 * minute, 2 * hour},
    {"tag_generic_caffeine", "caffeine", {}, 7 * hour, 15 * hour, 0},
    {"tag_generic_late_meal", "late_meal", {}, 20 * hour + 30 * minute, 22 * hour + 30 * minute, 45 * minute},
    {"tag_generic_sauna", "sauna", {}, 16 * hour, 20 * hour, 30 * minute},
    {"tag_generic_stress", "stress", {}, 9 * hour, 18 * hour, 0},
    {"tag_generic_headache", "headache", {}, 10 * hour, 19 * hour, 3 * hour},
    {"custom", {}, "Cold plunge", 7 * hour, 9 * hour, 10 * minute},
    {"custom", {}, "Magnesium", 21 * hour, 22 * hour + 30 * minute, 0},
};
constexpr std::string_view tag_comments[] = {"with friends", "double espresso", "work deadline", "felt fine"};
constexpr std::string_view rest_mode_tags[] = {"tag_generic_fatigue", "tag_generic_headache", "tag_generic_sore_throat",
                                               "tag_generic_runny_nose"};

// A score contributor that rises linearly from 1 at `worst` to 100 at `best` (either order).
int contributor(double value, double worst, double best) {
    return clamp_int(1.0 + 99.0 * (value - worst) / (best - worst), 1, 100);
}

struct SleepScore {
    int deep, efficiency, latency, rem, restfulness, timing, total_sleep;
    int score;
};

struct Readiness {
    int activity_balance, body_temperature, hrv_balance, previous_day_activity, previous_night, recovery_index,
        resting_heart_rate, sleep_balance, sleep_regularity;
    int score;
    double temperature_deviation, temperature_trend_deviation;
};

struct Stress {
    std::optional<std::int64_t> stress_high, recovery_high;
    std::optional<std::string_view> summary;
};

int efficiency_of(const SleepDetail& d, Seconds in_bed) {
    return static_cast<int>(std::lround(100.0 * (d.deep + d.light + d.rem) / static_cast<double>(in_bed)));
}

void write_sample(JsonWriter& w, std::string_view key, double interval, const std::vector<int>& items, Seconds start,
                  int offset) {
    w.key(key).open();
    w.num_field("interval", interval, 1);
    w.key("items").open_array();
    for (int v : items) v < 0 ? w.null() : w.number(v, 1);
    w.close_array();
    w.local_time_field("timestamp", start, offset);
    w.close();
}

void write_readiness_body(JsonWriter& w, const Readiness& r) {
    w.key("contributors").open();
    w.int_field("activity_balance", r.activity_balance);
    w.int_field("body_temperature", r.body_temperature);
    w.int_field("hrv_balance", r.hrv_balance);
    w.int_field("previous_day_activity", r.previous_day_activity);
    w.int_field("previous_night", r.previous_night);
    w.int_field("recovery_index", r.recovery_index);
    w.int_field("resting_heart_rate", r.resting_heart_rate);
    w.int_field("sleep_balance", r.sleep_balance);
    w.int_field("sleep_regularity", r.sleep_regularity);
    w.close();
    w.int_field("score", r.score);
    w.num_field("temperature_deviation", r.temperature_deviation, 2);
    w.num_field("temperature_trend_deviation", r.temperature_trend_deviation, 2);
}

std::string ring_id(const Person& p, int ring) {
    static constexpr char hex[] = "0123456789abcdef";
    std::string s;
    for (int half = 0; half < 2; ++half) {
        std::uint64_t k = stream_key(p.seed, p.index, ring * 2 + half, Salt::ring);
        for (int i = 0; i < 16; ++i, k >>= 4) s += hex[k & 15];
    }
    return s;
}

int ring_at(const Person& p, Seconds t) {
    return p.second_ring && t >= p.ring_setup[1] ? 1 : 0;
}

// One local day of one user.
class Day {
public:
    Day(const Person& person, std::int64_t day)
        : p_(person),
          day_(day),
          tl_(make_timeline(person, day - 11, day + 2)),
          start_(person.zone.day_start(day)),
          end_(person.zone.day_start(day + 1)) {
        for (std::string_view r : generated_resources) out_[std::string(r)];
    }

    DayDocuments run() {
        emit_sleep_family();
        emit_activity();
        emit_stress_and_resilience();
        emit_sleep_time();
        emit_workouts_and_sessions();
        emit_tags();
        emit_rest_mode();
        emit_heartrate();
        emit_battery();
        for (auto& [name, docs] : out_)
            std::stable_sort(docs.begin(), docs.end(),
                             [](const Document& a, const Document& b) { return a.ts < b.ts; });
        return std::move(out_);
    }

private:
    int offset(Seconds t) const { return p_.zone.offset_at(t); }
    const Plan& plan() const { return *tl_.plan_for_day(day_); }
    int plan_index(std::int64_t day) const { return static_cast<int>(day - tl_.first_day); }
    std::uint64_t daily_key(int purpose) const {
        return stream_key(p_.seed, p_.index, day_ * 16 + purpose, Salt::daily);
    }
    std::string id(IdKind kind, int ordinal) const { return make_id(p_.seed, p_.index, kind, day_, ordinal); }

    // `ends`: when the document is complete (a span's end, the night a score is about); the API
    // shows nothing before that.
    void add(std::string_view resource, std::string id, Seconds ts, std::string json, Seconds ends = 0) {
        out_.find(resource)->second.push_back(
            Document{std::move(id), date_string(day_), ts, std::move(json), std::max(ts, ends)});
    }

    // The local midnight opening the day, as daily documents stamp it.
    void midnight_field(JsonWriter& w) const { w.local_time_field("timestamp", start_, offset(start_)); }

    const SleepDetail& sleep_detail(int plan_idx, int event) {
        auto key = std::make_pair(plan_idx, event);
        auto it = sleep_cache_.find(key);
        if (it != sleep_cache_.end()) return it->second;
        const Plan& pl = tl_.plans[static_cast<std::size_t>(plan_idx)];
        SleepKind kind = SleepKind::long_sleep;
        Seconds s = pl.sleep_start, e = pl.sleep_end;
        int ordinal = -1;
        if (event >= 0) {
            const Event& ev = pl.events[static_cast<std::size_t>(event)];
            kind = ev.kind == EventKind::rest_sleep ? SleepKind::rest : SleepKind::nap;
            s = ev.start;
            e = ev.end;
            ordinal = ev.ordinal;
        }
        return sleep_cache_.emplace(key, make_sleep_detail(p_, pl, kind, s, e, sleep_key(p_, pl.day, ordinal)))
            .first->second;
    }

    const Span* span_at(Seconds t) const {
        auto it = std::upper_bound(tl_.spans.begin(), tl_.spans.end(), t,
                                   [](Seconds v, const Span& s) { return v < s.start; });
        if (it == tl_.spans.begin()) return nullptr;
        --it;
        return t < it->end ? &*it : nullptr;
    }

    // --- the night and the scores built on it ----------------------------------------------------

    SleepScore score_night(const SleepDetail& d) const {
        const Plan& pl = plan();
        const double total = d.deep + d.light + d.rem;
        const Seconds in_bed = pl.sleep_end - pl.sleep_start;
        SleepScore s{};
        s.total_sleep = contributor(total, 3 * hour, 8 * hour);
        s.efficiency = contributor(efficiency_of(d, in_bed), 55, 95);
        s.latency = d.latency <= 20 * minute ? clamp_int(100 - std::max(0, 5 * 60 - d.latency) / 60.0 * 4, 1, 100)
                                             : clamp_int(100 - (d.latency - 20 * minute) / 60.0 * 2.5, 1, 100);
        s.deep = contributor(d.deep, 0, 90 * minute);
        s.rem = contributor(d.rem, 0, 105 * minute);
        s.restfulness = contributor(d.restless, 250, 40);
        // Timing: the middle of the night best near 03:30 local.
        const Seconds mid = pl.sleep_start + in_bed / 2;
        Seconds clock = p_.zone.local_clock(mid);
        if (clock > 12 * hour) clock -= day_length;
        const double off_hours = std::abs(static_cast<double>(clock - (3 * hour + 30 * minute))) / hour;
        s.timing = clamp_int(100 - std::max(0.0, off_hours - 1.0) * 25, 1, 100);
        s.score = clamp_int(0.35 * s.total_sleep + 0.1 * s.efficiency + 0.1 * s.latency + 0.1 * s.deep + 0.1 * s.rem +
                                0.15 * s.restfulness + 0.1 * s.timing,
                            1, 100);
        return s;
    }

    Readiness readiness_for(const SleepDetail& d, const SleepScore& sleep) const {
        const Plan& pl = plan();
        Rng r(daily_key(1));
        Readiness x{};
        x.temperature_deviation = round_to(pl.temp_dev, 0.01);
        x.temperature_trend_deviation = round_to(pl.temp_trend, 0.01);
        x.previous_night = sleep.score;
        x.body_temperature = clamp_int(100 - std::max(0.0, std::abs(pl.temp_dev) - 0.1) * 90, 1, 100);
        x.hrv_balance = contributor(d.average_hrv / p_.hrv_base, 0.55, 1.05);
        x.resting_heart_rate = clamp_int(100 - std::max(0.0, d.lowest_hr - p_.resting_hr) * 7, 1, 100);
        x.previous_day_activity = clamp_int(100 - std::abs(pl.prev.activity - 1.0) * 70, 1, 100);
        x.activity_balance = clamp_int(78 + 18 * trend(p_, day_) + r.normal() * 5, 1, 100);
        const double slept = 0.5 * static_cast<double>(pl.prev.bed + pl.raw.bed);
        x.sleep_balance =
            clamp_int(100 - std::max(0.0, static_cast<double>(p_.bed_duration) - slept) / 60 * 1.2, 1, 100);
        x.recovery_index = clamp_int(r.uniform(55, 100), 1, 100);
        x.sleep_regularity = clamp_int(100 - std::abs(pl.raw.wake_clock - pl.prev.wake_clock) / 60 * 0.8, 1, 100);
        x.score = clamp_int(0.1 * x.activity_balance + 0.1 * x.body_temperature + 0.15 * x.hrv_balance +
                                0.1 * x.previous_day_activity + 0.2 * x.previous_night + 0.1 * x.recovery_index +
                                0.1 * x.resting_heart_rate + 0.1 * x.sleep_balance + 0.05 * x.sleep_regularity,
                            1, 100);
        return x;
    }

    struct SleepItem {
        int plan;
        int event;  // -1: the night
        std::string_view type;
        Seconds start, end;
    };

    void emit_sleep_family() {
        const Plan& pl = plan();
        const int today = plan_index(day_);
        std::vector<SleepItem> items;
        if (pl.worn) items.push_back({today, -1, "long_sleep", pl.sleep_start, pl.sleep_end});
        for (std::size_t i = 0; i < pl.events.size(); ++i) {
            const Event& e = pl.events[i];
            const int ei = static_cast<int>(i);
            if (e.kind == EventKind::nap) items.push_back({today, ei, "sleep", e.start, e.end});
            if (e.kind == EventKind::rest_sleep) items.push_back({today, ei, "rest", e.start, e.end});
            if (e.kind == EventKind::deleted_sleep) items.push_back({today, ei, "deleted", e.start, e.end});
        }
        // A late nap on the previous evening counts for this day.
        const Plan& yesterday = tl_.plans[static_cast<std::size_t>(today - 1)];
        for (std::size_t i = 0; i < yesterday.events.size(); ++i)
            if (yesterday.events[i].kind == EventKind::late_nap)
                items.push_back(
                    {today - 1, static_cast<int>(i), "late_nap", yesterday.events[i].start, yesterday.events[i].end});
        std::sort(items.begin(), items.end(), [](const SleepItem& a, const SleepItem& b) { return a.start < b.start; });

        std::optional<Readiness> readiness;
        std::optional<SleepScore> night_score;
        if (pl.worn) {
            const SleepDetail& night = sleep_detail(today, -1);
            night_score = score_night(night);
            readiness = readiness_for(night, *night_score);
        }

        for (std::size_t k = 0; k < items.size(); ++k) emit_sleep(items[k], static_cast<int>(k), readiness);

        if (!pl.worn) return;
        {
            std::string json;
            JsonWriter w(json);
            w.open().str_field("id", id(IdKind::daily_sleep, 0));
            w.key("contributors").open();
            w.int_field("deep_sleep", night_score->deep);
            w.int_field("efficiency", night_score->efficiency);
            w.int_field("latency", night_score->latency);
            w.int_field("rem_sleep", night_score->rem);
            w.int_field("restfulness", night_score->restfulness);
            w.int_field("timing", night_score->timing);
            w.int_field("total_sleep", night_score->total_sleep);
            w.close();
            w.date_field("day", day_);
            w.int_field("score", night_score->score);
            midnight_field(w);
            w.close();
            add("daily_sleep", id(IdKind::daily_sleep, 0), start_, std::move(json), pl.sleep_end);
        }
        {
            std::string json;
            JsonWriter w(json);
            w.open().str_field("id", id(IdKind::daily_readiness, 0));
            write_readiness_body(w, *readiness);
            w.date_field("day", day_);
            midnight_field(w);
            w.close();
            add("daily_readiness", id(IdKind::daily_readiness, 0), start_, std::move(json), pl.sleep_end);
        }
        Rng r(daily_key(2));
        {
            const bool bdi_known = !r.chance(0.05), spo2_known = !r.chance(0.03);
            const double spo2 = clamp(97.4 + r.normal() * 0.8 - (pl.rest_mode ? 0.8 : 0), 90, 100);
            const auto bdi = static_cast<std::int64_t>(std::max(0.0, std::round(6 + r.normal() * 4)));
            std::string json;
            JsonWriter w(json);
            w.open().str_field("id", id(IdKind::daily_spo2, 0));
            w.opt_int_field("breathing_disturbance_index", bdi_known ? std::optional<std::int64_t>(bdi) : std::nullopt);
            w.date_field("day", day_);
            if (spo2_known) {
                w.key("spo2_percentage").open().num_field("average", spo2, 3).close();
            } else {
                w.null_field("spo2_percentage");
            }
            w.close();
            add("daily_spo2", id(IdKind::daily_spo2, 0), start_, std::move(json), pl.sleep_end);
        }
        {
            const bool present = r.chance(0.92);
            const bool known = !r.chance(0.04);
            const int vascular =
                std::clamp(p_.age + p_.vascular_offset - static_cast<int>(std::lround(2 * trend(p_, day_))) +
                               (pl.rest_mode ? 1 : 0),
                           18, 100);
            const double pwv = 4.2 + vascular * 0.075 + r.normal() * 0.12;
            if (present) {
                std::string json;
                JsonWriter w(json);
                w.open().str_field("id", id(IdKind::daily_cardiovascular_age, 0));
                w.date_field("day", day_);
                w.opt_num_field("pulse_wave_velocity", known ? std::optional<double>(pwv) : std::nullopt, 3);
                w.opt_int_field("vascular_age", known ? std::optional<std::int64_t>(vascular) : std::nullopt);
                w.close();
                add("daily_cardiovascular_age", id(IdKind::daily_cardiovascular_age, 0), start_, std::move(json));
            }
        }
        {
            const bool estimate = r.chance(0.12);
            const auto vo2 = std::lround(p_.vo2_base + 2 * trend(p_, day_) + r.normal() * 0.7);
            const Seconds at = pl.sleep_end + r.range(2 * hour, 10 * hour);
            if (estimate && p_.zone.local_day(at) == day_ && at < pl.next_sleep_start) {
                std::string json;
                JsonWriter w(json);
                w.open().str_field("id", id(IdKind::vo2_max, 0));
                w.date_field("day", day_);
                w.local_time_field("timestamp", at, offset(at));
                w.int_field("vo2_max", vo2);
                w.close();
                add("vO2_max", id(IdKind::vo2_max, 0), at, std::move(json));
            }
        }
    }

    void emit_sleep(const SleepItem& item, int period, const std::optional<Readiness>& readiness) {
        const Plan& pl = tl_.plans[static_cast<std::size_t>(item.plan)];
        const Seconds in_bed = item.end - item.start;
        const bool low_battery = battery_at(tl_, item.start).level < 15;
        const std::string doc_id = make_id(p_.seed, p_.index, IdKind::sleep, day_, period);
        std::string json;
        json.reserve(4096);
        JsonWriter w(json);
        w.open().str_field("id", doc_id);
        if (item.type == "deleted") {
            // The user deleted it: only the period itself remains.
            for (auto k : {"average_breath", "average_heart_rate", "average_hrv", "awake_time"}) w.null_field(k);
            w.local_time_field("bedtime_end", item.end, offset(item.end));
            w.local_time_field("bedtime_start", item.start, offset(item.start));
            w.date_field("day", day_);
            for (auto k : {"deep_sleep_duration", "efficiency", "heart_rate", "hrv", "latency", "light_sleep_duration"})
                w.null_field(k);
            w.bool_field("low_battery_alert", low_battery);
            for (auto k : {"lowest_heart_rate", "movement_30_sec"}) w.null_field(k);
            w.int_field("period", period);
            for (auto k : {"readiness", "readiness_score_delta", "rem_sleep_duration", "restless_periods",
                           "sleep_algorithm_version", "sleep_analysis_reason", "sleep_phase_30_sec",
                           "sleep_phase_5_min", "sleep_score_delta"})
                w.null_field(k);
            w.int_field("time_in_bed", in_bed);
            w.null_field("total_sleep_duration");
            w.str_field("type", item.type);
            w.str_field("ring_id", ring_id(p_, ring_at(p_, item.start)));
            w.null_field("app_sleep_phase_5_min");
            w.close();
            add("sleep", doc_id, item.start, std::move(json), item.end);
            return;
        }
        const SleepDetail& d = sleep_detail(item.plan, item.event);
        const bool night = item.event < 0;
        const bool nap = item.type == "sleep" || item.type == "late_nap";
        Rng r(sleep_key(p_, pl.day, 40 + item.event));
        const auto score_delta = r.range(0, 5);
        const auto readiness_delta = r.range(0, 4);
        w.num_field("average_breath", d.average_breath, 3);
        w.num_field("average_heart_rate", d.average_hr, 3);
        w.int_field("average_hrv", d.average_hrv);
        w.int_field("awake_time", d.awake);
        w.local_time_field("bedtime_end", item.end, offset(item.end));
        w.local_time_field("bedtime_start", item.start, offset(item.start));
        w.date_field("day", day_);
        w.int_field("deep_sleep_duration", d.deep);
        w.int_field("efficiency", efficiency_of(d, in_bed));
        write_sample(w, "heart_rate", 300, d.hr, item.start, offset(item.start));
        write_sample(w, "hrv", 300, d.hrv, item.start, offset(item.start));
        w.int_field("latency", d.latency);
        w.int_field("light_sleep_duration", d.light);
        w.bool_field("low_battery_alert", low_battery);
        w.int_field("lowest_heart_rate", d.lowest_hr);
        w.str_field("movement_30_sec", d.movement);
        w.int_field("period", period);
        if (night && readiness) {
            w.key("readiness").open();
            write_readiness_body(w, *readiness);
            w.close();
        } else {
            w.null_field("readiness");
        }
        w.opt_int_field("readiness_score_delta", nap ? std::optional<std::int64_t>(readiness_delta) : std::nullopt);
        w.int_field("rem_sleep_duration", d.rem);
        w.int_field("restless_periods", d.restless);
        w.str_field("sleep_algorithm_version", "v2");
        w.str_field("sleep_analysis_reason", night ? "foreground_sleep_analysis" : "background_sleep_analysis");
        std::string phases30;
        phases30.reserve(d.stages.size() * 10);
        for (char c : d.stages) phases30.append(10, c);
        w.str_field("sleep_phase_30_sec", phases30);
        w.str_field("sleep_phase_5_min", d.stages);
        w.opt_int_field("sleep_score_delta", nap ? std::optional<std::int64_t>(score_delta) : std::nullopt);
        w.int_field("time_in_bed", in_bed);
        w.int_field("total_sleep_duration", d.deep + d.light + d.rem);
        w.str_field("type", item.type);
        w.str_field("ring_id", ring_id(p_, ring_at(p_, item.start)));
        w.str_field("app_sleep_phase_5_min", d.stages);
        w.close();
        add("sleep", doc_id, item.start, std::move(json), item.end);
    }

    // --- daily activity: 1440 minutes from 04:00 local ---------------------------------------------

    void emit_activity() {
        const Seconds from = p_.zone.local_to_utc(day_ * day_length + 4 * hour);
        std::vector<double> met(1440);
        std::vector<int> cls(1440);
        std::int64_t steps = 0;
        double active_kcal = 0, base_kcal = 0;
        double met_minutes[6] = {0, 0, 0, 0, 0, 0};
        int minutes[6] = {0, 0, 0, 0, 0, 0};
        auto class_of = [](double m) { return m < 1.6 ? 2 : m < 3.0 ? 3 : m < 6.0 ? 4 : 5; };
        for (int i = 0; i < 1440; ++i) {
            const Seconds t = from + i * minute;
            Rng r(stream_key(p_.seed, p_.index, floor_div(t, minute), Salt::activity));
            const Span* s = span_at(t);
            double m = 0;
            int c = 2;
            std::int64_t st = 0;
            if (s && (s->kind == SpanKind::nowear_night || s->kind == SpanKind::charge)) {
                m = 0.1;
                c = 0;
            } else if (s && (s->kind == SpanKind::night || s->kind == SpanKind::nap ||
                             s->kind == SpanKind::rest_sleep || s->kind == SpanKind::session)) {
                m = r.chance(0.5) ? 0.9 : 1.0;
                c = 1;
            } else if (s && s->kind == SpanKind::workout) {
                const Event& e =
                    tl_.plans[static_cast<std::size_t>(s->plan)].events[static_cast<std::size_t>(s->event)];
                m = workout_met(p_, e, t);
                c = class_of(m);
                st = std::lround(activity_kinds[e.activity].steps_per_minute * r.uniform(0.9, 1.1));
            } else {
                const int pk = tl_.plan_index_at(t);
                const Plan& owner = tl_.plans[static_cast<std::size_t>(pk < 0 ? 0 : pk)];
                m = awake_met(p_, owner, t, p_.zone.local_clock(t));
                c = class_of(m);
                st = c == 2 ? (r.chance(0.25) ? r.range(1, 12) : 0) : c == 3 ? r.range(25, 80) : r.range(85, 125);
            }
            met[static_cast<std::size_t>(i)] = m;
            cls[static_cast<std::size_t>(i)] = c;
            steps += st;
            met_minutes[c] += m;
            ++minutes[c];
            base_kcal += p_.weight_kg / 60.0;
            if (c >= 3) active_kcal += (m - 1.0) * p_.weight_kg / 60.0;
        }
        // One inactivity alert per unbroken sedentary hour.
        int alerts = 0, run = 0;
        for (int c : cls) {
            run = c == 2 ? run + 1 : 0;
            if (run == 60) ++alerts, run = 0;
        }
        std::string class_5_min;
        class_5_min.reserve(288);
        for (int b = 0; b < 288; ++b) {
            int count[6] = {0, 0, 0, 0, 0, 0};
            for (int k = 0; k < 5; ++k) ++count[cls[static_cast<std::size_t>(b * 5 + k)]];
            int best = 0;
            for (int c = 1; c < 6; ++c)
                if (count[c] >= count[best]) best = c;
            class_5_min += static_cast<char>('0' + best);
        }
        const Plan& pl = plan();
        Rng r(daily_key(3));
        const auto active = std::lround(active_kcal);
        const int target = p_.target_calories;
        const auto target_m = static_cast<std::int64_t>(target) * 20;
        const double t = trend(p_, day_);
        const int stay_active = clamp_int(100 - std::max(0.0, minutes[2] / 60.0 - 8) * 9, 1, 100);
        const int move_every_hour = clamp_int(100 - alerts * 18, 1, 100);
        const int meet_targets =
            clamp_int(35 + 65 * std::min(1.0, static_cast<double>(active) / target) + r.normal() * 4, 1, 100);
        const int frequency = clamp_int(55 + 40 * p_.workout_rate + 15 * t + r.normal() * 6, 1, 100);
        const int volume = clamp_int(50 + 35 * p_.workout_rate + 15 * t + r.normal() * 6, 1, 100);
        const int recovery = clamp_int(86 + r.normal() * 8 - (pl.rest_mode ? 15 : 0), 1, 100);
        const int score = clamp_int(0.25 * stay_active + 0.1 * move_every_hour + 0.3 * meet_targets + 0.1 * frequency +
                                        0.1 * volume + 0.15 * recovery,
                                    1, 100);
        double met_sum = 0;
        for (double m : met) met_sum += m;

        std::string json;
        json.reserve(8192);
        JsonWriter w(json);
        w.open().str_field("id", id(IdKind::daily_activity, 0));
        w.int_field("active_calories", active);
        w.num_field("average_met_minutes", met_sum / 1440.0, 5);
        w.str_field("class_5_min", class_5_min);
        w.key("contributors").open();
        w.int_field("meet_daily_targets", meet_targets);
        w.int_field("move_every_hour", move_every_hour);
        w.int_field("recovery_time", recovery);
        w.int_field("stay_active", stay_active);
        w.int_field("training_frequency", frequency);
        w.int_field("training_volume", volume);
        w.close();
        w.date_field("day", day_);
        w.int_field("equivalent_walking_distance", std::lround(static_cast<double>(steps) * p_.stride));
        w.int_field("high_activity_met_minutes", std::lround(met_minutes[5]));
        w.int_field("high_activity_time", minutes[5] * 60);
        w.int_field("inactivity_alerts", alerts);
        w.int_field("low_activity_met_minutes", std::lround(met_minutes[3]));
        w.int_field("low_activity_time", minutes[3] * 60);
        w.int_field("medium_activity_met_minutes", std::lround(met_minutes[4]));
        w.int_field("medium_activity_time", minutes[4] * 60);
        w.key("met").open();
        w.num_field("interval", 60, 1);
        w.key("items").open_array();
        for (double m : met) w.number(m, 1);
        w.close_array();
        w.local_time_field("timestamp", from, offset(from));
        w.close();
        w.int_field("meters_to_target", std::max<std::int64_t>(0, target_m - active * 20));
        w.int_field("non_wear_time", minutes[0] * 60);
        w.int_field("resting_time", minutes[1] * 60);
        w.int_field("score", score);
        w.int_field("sedentary_met_minutes", std::lround(met_minutes[2]));
        w.int_field("sedentary_time", minutes[2] * 60);
        w.int_field("steps", steps);
        w.int_field("target_calories", target);
        w.int_field("target_meters", target_m);
        w.local_time_field("timestamp", from, offset(from));
        w.int_field("total_calories", std::lround(base_kcal + active_kcal));
        w.close();
        add("daily_activity", id(IdKind::daily_activity, 0), from, std::move(json));
    }

    // --- stress, resilience, sleep time --------------------------------------------------------------

    Stress stress_of_day() const {
        const Plan& pl = plan();
        Rng r(daily_key(4));
        Stress s;
        const auto high = 900 * std::lround(pl.stress * 12 * r.uniform(0.6, 1.4));
        const auto recovery = 900 * std::lround((1.0 - pl.stress) * 8 * r.uniform(0.5, 1.5));
        const bool known = !r.chance(0.03);
        if (!known) return s;
        s.stress_high = high;
        s.recovery_high = recovery;
        s.summary = high >= 2 * recovery && high >= 2 * hour ? "stressful"
                    : recovery >= 2 * high                   ? "restored"
                                                             : "normal";
        return s;
    }

    void emit_stress_and_resilience() {
        const Stress s = stress_of_day();
        {
            std::string json;
            JsonWriter w(json);
            w.open().str_field("id", id(IdKind::daily_stress, 0));
            w.date_field("day", day_);
            w.opt_str_field("day_summary", s.summary);
            w.opt_int_field("recovery_high", s.recovery_high);
            w.opt_int_field("stress_high", s.stress_high);
            w.close();
            add("daily_stress", id(IdKind::daily_stress, 0), start_, std::move(json));
        }
        const Plan& pl = plan();
        if (!pl.worn) return;
        Rng r(daily_key(5));
        const double high = static_cast<double>(s.stress_high.value_or(3 * hour));
        const double recovery = static_cast<double>(s.recovery_high.value_or(3 * hour));
        const double sleep_recovery =
            clamp(70 + 20 * trend(p_, day_) + 25 * (pl.hrv_factor - 1) + r.normal() * 6, 0, 100);
        const double daytime_recovery = clamp(100 * recovery / (recovery + high + 1800) + r.normal() * 5, 0, 100);
        const double stress = clamp(100 - high / hour * 10 + r.normal() * 5, 0, 100);
        const double overall = 0.4 * sleep_recovery + 0.3 * daytime_recovery + 0.3 * stress + 10 * trend(p_, day_);
        const std::string_view level = overall < 35   ? "limited"
                                       : overall < 50 ? "adequate"
                                       : overall < 62 ? "solid"
                                       : overall < 75 ? "strong"
                                                      : "exceptional";
        std::string json;
        JsonWriter w(json);
        w.open().str_field("id", id(IdKind::daily_resilience, 0));
        w.date_field("day", day_);
        w.key("contributors").open();
        w.num_field("sleep_recovery", sleep_recovery, 2);
        w.num_field("daytime_recovery", daytime_recovery, 2);
        w.num_field("stress", stress, 2);
        w.close();
        w.str_field("level", level);
        w.close();
        add("daily_resilience", id(IdKind::daily_resilience, 0), start_, std::move(json));
    }

    void emit_sleep_time() {
        Rng r(daily_key(6));
        static constexpr std::string_view statuses[] = {"optimal_found", "only_recommended_found", "not_enough_nights",
                                                        "not_enough_recent_nights", "bad_sleep_quality"};
        const int status = r.weighted(std::array<double, 5>{0.6, 0.15, 0.08, 0.07, 0.1});
        const bool window = status <= 1;
        const Seconds bed_clock = p_.wake_clock - p_.bed_duration;  // negative: before midnight
        const auto start_offset =
            static_cast<Seconds>(round_to(static_cast<double>(bed_clock), 900)) + 900 * r.range(-1, 1);
        std::optional<std::string_view> recommendation;
        if (status == 0) recommendation = "follow_optimal_bedtime";
        if (status == 1) recommendation = r.chance(0.5) ? "earlier_bedtime" : "later_bedtime";
        if (status == 4) recommendation = "improve_efficiency";
        std::string json;
        JsonWriter w(json);
        w.open().str_field("id", id(IdKind::sleep_time, 0));
        w.date_field("day", day_);
        if (window) {
            w.key("optimal_bedtime").open();
            w.int_field("day_tz", offset(start_));
            w.int_field("end_offset", start_offset + hour);
            w.int_field("start_offset", start_offset);
            w.close();
        } else {
            w.null_field("optimal_bedtime");
        }
        w.opt_str_field("recommendation", recommendation);
        w.str_field("status", statuses[status]);
        w.close();
        add("sleep_time", id(IdKind::sleep_time, 0), start_, std::move(json));
    }

    // --- workouts and sessions -----------------------------------------------------------------------

    void emit_workouts_and_sessions() {
        const Plan& pl = plan();
        int workout_n = 0, session_n = 0;
        for (const Event& e : pl.events) {
            if (e.kind == EventKind::workout) {
                const ActivityKind& kind = activity_kinds[e.activity];
                const double hours = static_cast<double>(e.end - e.start) / hour;
                const double met = kind.met[static_cast<std::size_t>(e.intensity)];
                const double pace = 0.85 + 0.15 * e.intensity;
                const std::string doc_id = id(IdKind::workout, workout_n++);
                std::string json;
                JsonWriter w(json);
                w.open().str_field("id", doc_id);
                w.str_field("activity", kind.name);
                w.num_field("calories", (met - 1.0) * p_.weight_kg * hours, 3);
                w.date_field("day", day_);
                w.opt_num_field("distance",
                                kind.metres_per_minute > 0
                                    ? std::optional<double>(kind.metres_per_minute * hours * 60 * pace)
                                    : std::nullopt,
                                1);
                w.local_time_field("end_datetime", e.end, offset(e.end));
                w.str_field("intensity", intensities[e.intensity]);
                w.opt_str_field("label",
                                e.label >= 0 ? std::optional<std::string_view>(workout_labels[e.label]) : std::nullopt);
                w.str_field("source", workout_sources[e.source]);
                w.local_time_field("start_datetime", e.start, offset(e.start));
                w.close();
                add("workout", doc_id, e.start, std::move(json), e.end);
            } else if (e.kind == EventKind::session) {
                const SessionDetail d = make_session_detail(p_, pl, e);
                const std::string doc_id = id(IdKind::session, session_n++);
                std::string json;
                JsonWriter w(json);
                w.open().str_field("id", doc_id);
                w.date_field("day", day_);
                w.local_time_field("end_datetime", e.end, offset(e.end));
                write_sample(w, "heart_rate", 5, d.hr, e.start, offset(e.start));
                write_sample(w, "heart_rate_variability", 5, d.hrv, e.start, offset(e.start));
                w.opt_str_field("mood", e.mood >= 0 ? std::optional<std::string_view>(moods[e.mood]) : std::nullopt);
                write_sample(w, "motion_count", 5, d.motion, e.start, offset(e.start));
                w.local_time_field("start_datetime", e.start, offset(e.start));
                w.str_field("type", session_types[e.session_type]);
                w.close();
                add("session", doc_id, e.start, std::move(json), e.end);
            }
        }
    }

    // --- tags ----------------------------------------------------------------------------------------

    void emit_tags() {
        Rng r(stream_key(p_.seed, p_.index, day_, Salt::tags));
        if (!r.chance(0.3)) return;
        const auto wanted = r.range(1, 3);
        std::vector<int> chosen;
        for (int guard = 0; static_cast<std::int64_t>(chosen.size()) < wanted && guard < 20; ++guard) {
            const int k = static_cast<int>(r.range(0, static_cast<std::int64_t>(std::size(tag_kinds)) - 1));
            if (std::find(chosen.begin(), chosen.end(), k) == chosen.end()) chosen.push_back(k);
        }
        std::vector<std::string_view> short_names;
        std::optional<std::string_view> first_comment;
        std::optional<Seconds> first_time;
        int n = 0;
        for (int k : chosen) {
            const TagKind& tag = tag_kinds[k];
            const Seconds start = p_.zone.local_to_utc(day_ * day_length + r.range(tag.earliest, tag.latest));
            const bool has_end = tag.length > 0 && r.chance(0.7);
            const Seconds end = start + tag.length;
            const std::optional<std::string_view> comment =
                r.chance(0.15) ? std::optional<std::string_view>(tag_comments[r.range(0, 3)]) : std::nullopt;
            if (p_.zone.local_day(start) != day_) continue;
            const std::string doc_id = id(IdKind::enhanced_tag, n++);
            std::string json;
            JsonWriter w(json);
            w.open().str_field("id", doc_id);
            w.str_field("tag_type_code", tag.code);
            w.local_time_field("start_time", start, offset(start));
            if (has_end)
                w.local_time_field("end_time", end, offset(end));
            else
                w.null_field("end_time");
            w.date_field("start_day", day_);
            if (has_end)
                w.date_field("end_day", p_.zone.local_day(end));
            else
                w.null_field("end_day");
            w.opt_str_field("comment", comment);
            w.opt_str_field("custom_name",
                            tag.custom_name.empty() ? std::nullopt : std::optional<std::string_view>(tag.custom_name));
            w.close();
            add("enhanced_tag", doc_id, start, std::move(json), has_end ? end : start);
            if (!tag.short_name.empty()) {
                short_names.push_back(tag.short_name);
                if (!first_time || start < *first_time) first_time = start;
                if (comment && !first_comment) first_comment = comment;
            }
        }
        if (short_names.empty()) return;
        // The deprecated tag collection mirrors the day's generic tags in one document.
        std::string json;
        JsonWriter w(json);
        w.open().str_field("id", id(IdKind::tag, 0));
        w.date_field("day", day_);
        w.opt_str_field("text", first_comment);
        w.local_time_field("timestamp", *first_time, offset(*first_time));
        w.key("tags").open_array();
        for (auto s : short_names) w.string(s);
        w.close_array();
        w.close();
        add("tag", id(IdKind::tag, 0), *first_time, std::move(json));
    }

    void emit_rest_mode() {
        for (const RestModePeriod& m : tl_.rest_modes) {
            if (m.start_day != day_) continue;
            Rng r(stream_key(p_.seed, p_.index, m.block, Salt::rest_mode) ^ 1);
            const std::string doc_id = id(IdKind::rest_mode_period, 0);
            std::string json;
            JsonWriter w(json);
            w.open().str_field("id", doc_id);
            w.date_field("end_day", m.end_day);
            w.local_time_field("end_time", m.end, offset(m.end));
            w.key("episodes").open_array();
            const Seconds length = m.end - m.start;
            const auto episodes = std::min<std::int64_t>(3, 1 + length / day_length);
            for (std::int64_t k = 0; k < episodes; ++k) {
                const Seconds at = m.start + k * length / episodes + r.range(0, 3 * hour);
                w.open();
                w.key("tags").open_array();
                const auto first = r.range(0, 3);
                w.string(rest_mode_tags[first]);
                if (r.chance(0.4)) w.string(rest_mode_tags[(first + 1) % 4]);
                w.close_array();
                w.local_time_field("timestamp", at, offset(at));
                w.close();
            }
            w.close_array();
            w.date_field("start_day", m.start_day);
            w.local_time_field("start_time", m.start, offset(m.start));
            w.close();
            add("rest_mode_period", doc_id, m.start, std::move(json), m.end);
        }
    }

    // --- time series ---------------------------------------------------------------------------------

    struct HeartRow {
        Seconds t;
        int bpm;
        std::string_view source;
    };

    void emit_heartrate() {
        std::vector<HeartRow> rows;
        rows.reserve(1500);
        auto keep = [&](Seconds t, int bpm, std::string_view source) {
            if (t >= start_ && t < end_) rows.push_back({t, bpm, source});
        };
        for (const Span& s : tl_.spans) {
            if (s.end <= start_ || s.start >= end_) continue;
            const Plan& pl = tl_.plans[static_cast<std::size_t>(s.plan)];
            switch (s.kind) {
                case SpanKind::night:
                case SpanKind::nap:
                case SpanKind::rest_sleep: {
                    // The same 5-minute values as the sleep document's heart_rate items.
                    const SleepDetail& d = sleep_detail(s.plan, s.event);
                    const std::string_view source = s.kind == SpanKind::rest_sleep ? "rest" : "sleep";
                    for (std::size_t i = 0; i < d.hr.size(); ++i)
                        if (d.hr[i] >= 0) keep(s.start + static_cast<Seconds>(i) * 300, d.hr[i], source);
                    break;
                }
                case SpanKind::workout: {
                    const Event& e = pl.events[static_cast<std::size_t>(s.event)];
                    Rng r(stream_key(p_.seed, p_.index, pl.day * 64 + e.ordinal, Salt::workout_hr));
                    const double peak = (e.intensity == 0   ? 108
                                         : e.intensity == 1 ? 135
                                                            : 158) +
                                        (p_.resting_hr - 54) * 0.3;
                    const double rest = p_.resting_hr + pl.hr_shift + 20;
                    for (Seconds t = e.start; t < e.end; t += r.range(5, 10)) {
                        const double warm = std::min(1.0, static_cast<double>(t - e.start) / 300.0);
                        const double cool = std::min(1.0, static_cast<double>(e.end - t) / 180.0);
                        keep(t, clamp_int(rest + (peak - rest) * warm * (0.8 + 0.2 * cool) + r.normal() * 4, 50, 200),
                             "workout");
                    }
                    break;
                }
                case SpanKind::session: {
                    const Event& e = pl.events[static_cast<std::size_t>(s.event)];
                    const SessionDetail d = make_session_detail(p_, pl, e);
                    for (std::size_t i = 0; i < d.hr.size(); ++i)
                        if (d.hr[i] >= 0) keep(e.start + static_cast<Seconds>(i) * 5, d.hr[i], "session");
                    break;
                }
                case SpanKind::live: {
                    const Event& e = pl.events[static_cast<std::size_t>(s.event)];
                    Rng r(stream_key(p_.seed, p_.index, pl.day * 64 + e.ordinal, Salt::live_hr));
                    for (Seconds t = e.start; t < e.end; t += r.range(1, 3))
                        keep(t, clamp_int(p_.resting_hr + pl.hr_shift + 18 + r.normal() * 3, 40, 150), "live");
                    break;
                }
                case SpanKind::nowear_night:
                case SpanKind::charge:
                    break;  // nothing on the finger
            }
        }
        // Roughly every 5 minutes while awake, drawn per UTC slot.
        for (Seconds slot = floor_div(start_, 300); slot * 300 < end_; ++slot) {
            Rng r(stream_key(p_.seed, p_.index, slot, Salt::awake_hr_slot));
            const Seconds t = slot * 300 + r.range(0, 299);
            const bool missing = r.chance(0.07);
            const double noise = r.normal();
            if (missing || t < start_ || t >= end_ || span_at(t)) continue;
            const int pk = tl_.plan_index_at(t);
            if (pk < 0) continue;
            const Plan& owner = tl_.plans[static_cast<std::size_t>(pk)];
            const double met = awake_met(p_, owner, t, p_.zone.local_clock(t));
            const int bpm = clamp_int(p_.resting_hr + owner.hr_shift + 14 + (met - 1.0) * 11 + noise * 4, 40, 170);
            keep(t, bpm, tl_.in_rest_mode(t) ? "rest" : "awake");
        }
        std::sort(rows.begin(), rows.end(), [](const HeartRow& a, const HeartRow& b) { return a.t < b.t; });
        auto& docs = out_.find("heartrate")->second;
        docs.reserve(rows.size());
        const std::string day = date_string(day_);
        Seconds last = -1;
        for (const HeartRow& row : rows) {
            if (row.t == last) continue;
            last = row.t;
            std::string json;
            json.reserve(96);
            JsonWriter w(json);
            w.open();
            w.local_time_field("timestamp", row.t, 0);
            w.int_field("timestamp_unix", row.t * 1000);
            w.int_field("bpm", row.bpm);
            w.str_field("source", row.source);
            w.close();
            docs.push_back(Document{std::string(), day, row.t, std::move(json), row.t});
        }
    }

    void emit_battery() {
        auto& docs = out_.find("ring_battery_level")->second;
        const std::string day = date_string(day_);
        for (Seconds slot = floor_div(start_, 1800); slot * 1800 < end_; ++slot) {
            Rng r(stream_key(p_.seed, p_.index, slot, Salt::battery_slot));
            const Seconds t = slot * 1800 + r.range(0, 240);
            const bool missing = r.chance(0.03);
            if (t < start_ || t >= end_) continue;
            const BatteryState b = battery_at(tl_, t);
            if (missing && !b.in_charger) continue;  // a charge always shows up
            std::string json;
            JsonWriter w(json);
            w.open();
            w.local_time_field("timestamp", t, 0);
            w.int_field("timestamp_unix", t * 1000);
            w.bool_field("charging", b.charging);
            w.bool_field("in_charger", b.in_charger);
            w.int_field("level", b.level);
            w.close();
            docs.push_back(Document{std::string(), day, t, std::move(json), t});
        }
    }

    const Person& p_;
    std::int64_t day_;
    Timeline tl_;
    Seconds start_, end_;
    std::map<std::pair<int, int>, SleepDetail> sleep_cache_;
    DayDocuments out_;
};

void check_user(const GeneratorOptions& options, int user_index) {
    if (user_index < 0 || user_index >= options.users)
        throw std::out_of_range("oura-sim: user index " + std::to_string(user_index) + " outside 0.." +
                                std::to_string(options.users - 1));
}

}  // namespace

std::vector<UserProfile> generate_users(const GeneratorOptions& options) {
    std::vector<UserProfile> users;
    for (int i = 0; i < options.users; ++i) {
        const Person p = make_person(options.seed, i);
        std::string json;
        JsonWriter w(json);
        w.open().str_field("id", p.oura_id);
        w.int_field("age", p.age);
        w.num_field("weight", p.weight_kg, 1);
        w.num_field("height", p.height_m, 2);
        w.str_field("biological_sex", p.female ? "female" : "male");
        w.str_field("email", "user" + std::to_string(i + 1) + "@example.test");
        w.close();
        users.push_back(UserProfile{p.oura_id, std::move(json)});
    }
    return users;
}

DayDocuments generate_day(const GeneratorOptions& options, int user_index, std::chrono::sys_days day) {
    check_user(options, user_index);
    const Person p = make_person(options.seed, user_index);
    return Day(p, day.time_since_epoch().count()).run();
}

std::vector<Document> generate_ring_configurations(const GeneratorOptions& options, int user_index) {
    check_user(options, user_index);
    const Person p = make_person(options.seed, user_index);
    Rng r(stream_key(p.seed, p.index, 0, Salt::ring));
    static constexpr std::string_view gen3_colors[] = {"silver",    "glossy_black", "stealth_black",
                                                       "matt_gold", "rose",         "brushed_silver"};
    static constexpr std::string_view gen4_colors[] = {"brushed_silver", "stealth_black", "silver", "rose", "titanium"};
    const auto size = r.range(6, 13);
    std::vector<Document> docs;
    for (int ring = 0; ring < (p.second_ring ? 2 : 1); ++ring) {
        const bool gen4 = ring == 1;
        const std::string doc_id = make_id(p.seed, p.index, IdKind::ring_configuration, 0, ring);
        const Seconds set_up = p.ring_setup[ring];
        std::string json;
        JsonWriter w(json);
        w.open().str_field("id", doc_id);
        w.str_field("color", gen4 ? gen4_colors[r.range(0, 4)] : gen3_colors[r.range(0, 5)]);
        w.str_field("design", gen4 ? "horizon" : (r.chance(0.5) ? "heritage" : "balance"));
        w.str_field("firmware_version", (gen4 ? "3.1." : "2.9.") + std::to_string(r.range(10, 40)));
        w.str_field("hardware_type", gen4 ? "gen4" : "gen3");
        w.local_time_field("set_up_at", set_up, 0);
        w.int_field("size", size);
        w.close();
        docs.push_back(Document{doc_id, date_string(floor_div(set_up, day_length)), set_up, std::move(json), set_up});
    }
    return docs;
}

}  // namespace oura::sim
