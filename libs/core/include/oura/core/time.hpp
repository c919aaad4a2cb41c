#pragma once
// Dates and instants as Oura writes them. Oura's `day` is the user's local day; it is kept as given
// and never derived from UTC. Instants keep the UTC offset they were written with.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace oura::core {

using Days = std::chrono::sys_days;
using Seconds = std::chrono::sys_seconds;

// An instant plus the offset of the clock it was written in (minutes east of UTC).
struct LocalInstant {
    Seconds utc;
    int offset_minutes = 0;
    bool operator==(const LocalInstant&) const = default;
};

std::optional<Days> parse_date(std::string_view yyyy_mm_dd);  // strict YYYY-MM-DD
std::string format_date(Days day);                            // YYYY-MM-DD

// ISO 8601 date-time with offset ("2024-10-10T01:01:59+02:00", "...Z", fractional seconds
// dropped). A value without an offset is read as UTC (Oura's LocalDateTime may omit it).
std::optional<LocalInstant> parse_datetime(std::string_view text);
std::string format_datetime(Seconds utc, int offset_minutes);  // 2024-10-10T01:01:59+02:00
std::string format_utc(Seconds utc);                           // 2024-10-10T01:01:59+00:00
std::string format_utc_millis(std::chrono::system_clock::time_point t);  // 2024-10-10T01:01:59.123Z

// The local calendar day of an instant at a given offset.
Days local_day(Seconds utc, int offset_minutes);

// Injectable time source: tests advance a ManualClock instead of sleeping.
class Clock {
public:
    virtual ~Clock() = default;
    virtual std::chrono::system_clock::time_point now() const = 0;
};

class SystemClock final : public Clock {
public:
    std::chrono::system_clock::time_point now() const override { return std::chrono::system_clock::now(); }
};

class ManualClock final : public Clock {
public:
    explicit ManualClock(std::chrono::system_clock::time_point start) : now_(start) {}
    std::chrono::system_clock::time_point now() const override { return now_; }
    void advance(std::chrono::system_clock::duration d) { now_ += d; }
    void set(std::chrono::system_clock::time_point t) { now_ = t; }

private:
    std::chrono::system_clock::time_point now_;
};

// The shared process clock.
const Clock& system_clock();

}  // namespace oura::core
