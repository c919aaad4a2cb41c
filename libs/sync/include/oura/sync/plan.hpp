#pragma once
// What one reconciliation pass covers for one user, as pure functions of the clock and what the
// store knows about the user (their UTC offset, their newest sample).

#include <optional>

#include "oura/api/window.hpp"
#include "oura/core/time.hpp"

namespace oura::sync {

// The user's calendar day at `now`: at their UTC offset (minutes east), UTC when it is unknown.
// Oura files documents under the user's local day, so at 23:30 UTC a user at UTC+13 is already a
// day ahead and one at UTC-10 still half a day behind at 00:30 UTC.
core::Days local_today(core::Seconds now, std::optional<int> utc_offset_minutes);

// The last `days` local days ending today, at the user's offset: date-mode resources fetch these
// days, time series run from the first day's local midnight to the local midnight after today.
api::Window poll_window(core::Seconds now, int days, std::optional<int> utc_offset_minutes);

// The window of a user's time series in one pass: poll_window, and when the user's offset is not
// known yet (a new user, before any document), a day more on each side, so every zone's version
// of those local days is inside it (UTC-12 to UTC+14). The series then need not wait for the
// documents that tell the offset; the few extra hours of samples are the user's own.
api::Window series_poll_window(core::Seconds now, int days, std::optional<int> utc_offset_minutes);

// Time series cover the whole window (`--days N` means N days for every resource; re-writing
// samples is idempotent) and reach back to the local day of the newest stored sample when that is
// older, so a poller that has not run for a while leaves no gap.
api::Window series_window(const api::Window& window, std::optional<core::Seconds> newest_sample);

}  // namespace oura::sync
