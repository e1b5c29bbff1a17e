"""A zone's activation schedule: when a temporary restriction (an event, an operation) is in force.

A schedule is a list of periods; an empty list is a permanent zone. Each period is

    {"starts_at": ISO 8601 or null, "ends_at": ISO 8601 or null,
     "daily": null or {"start": "HH:MM", "end": "HH:MM", "days": ["MON", ...] (empty: every day)}}

with daily times in UTC (as ED-269's dailyPeriod), an end before the start running past midnight.
A zone is active at a moment inside any period (and, with daily times, inside that day's times);
it restricts a permit whose window meets any of that. Plain Python (no Django): the classification
index turns a schedule into absolute intervals once per rebuild (`intervals`)."""

from datetime import UTC, datetime, time, timedelta

DAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
MAX_PERIODS = 100


class ScheduleError(ValueError):
    """A bad schedule; the message names the period and the field, for a person."""


def _moment(value, where):
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            raise ScheduleError(f"{where} must be a date and time (ISO 8601), not {value!r}.") from None
    if moment.tzinfo is None:
        raise ScheduleError(f"{where} must say its time zone (e.g. 2026-12-01T08:00:00Z).")
    return moment.astimezone(UTC)


def _clock(value, where):
    try:
        return time.fromisoformat(str(value))
    except ValueError:
        raise ScheduleError(f"{where} must be a time of day HH:MM (UTC), not {value!r}.") from None


def normalize(schedule) -> list[dict]:
    """Validate a schedule and return it in its stored form (UTC ISO strings, HH:MM times)."""
    if schedule in (None, ""):
        return []
    if not isinstance(schedule, list):
        raise ScheduleError("The schedule must be a list of periods (empty: always in force).")
    if len(schedule) > MAX_PERIODS:
        raise ScheduleError(f"A schedule may have at most {MAX_PERIODS} periods.")
    periods = []
    for number, period in enumerate(schedule, start=1):
        where = f"Period {number}"
        if not isinstance(period, dict):
            raise ScheduleError(f"{where} must be an object with starts_at, ends_at and daily.")
        starts_at = _moment(period.get("starts_at"), f"{where}: starts_at")
        ends_at = _moment(period.get("ends_at"), f"{where}: ends_at")
        if starts_at and ends_at and ends_at <= starts_at:
            raise ScheduleError(f"{where}: ends_at must be after starts_at.")
        daily = period.get("daily")
        if daily:
            if not isinstance(daily, dict):
                raise ScheduleError(f"{where}: daily must be an object with start, end and days.")
            start = _clock(daily.get("start"), f"{where}: daily start")
            end = _clock(daily.get("end"), f"{where}: daily end")
            if start == end:
                raise ScheduleError(f"{where}: the daily start and end are the same time.")
            days = daily.get("days") or []
            if not isinstance(days, list) or any(day not in DAYS for day in days):
                raise ScheduleError(f"{where}: days must be a list of {', '.join(DAYS)}.")
            daily = {
                "start": start.strftime("%H:%M"),
                "end": end.strftime("%H:%M"),
                "days": sorted(days, key=DAYS.index),
            }
        periods.append(
            {
                "starts_at": starts_at.isoformat().replace("+00:00", "Z") if starts_at else None,
                "ends_at": ends_at.isoformat().replace("+00:00", "Z") if ends_at else None,
                "daily": daily or None,
            }
        )
    return periods


def intervals(schedule, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """The moments in [start, end) when a zone with this (stored) schedule is active, as intervals."""
    if not schedule:
        return [(start, end)]
    found = []
    for period in schedule:
        period_start = max(start, _moment(period.get("starts_at"), "starts_at") or start)
        period_end = min(end, _moment(period.get("ends_at"), "ends_at") or end)
        if period_start >= period_end:
            continue
        daily = period.get("daily")
        if not daily:
            found.append((period_start, period_end))
            continue
        daily_start, daily_end = time.fromisoformat(daily["start"]), time.fromisoformat(daily["end"])
        day = period_start.date() - timedelta(days=1)  # yesterday's times may run past midnight
        while day <= period_end.date():
            if not daily["days"] or DAYS[day.weekday()] in daily["days"]:
                opens = datetime.combine(day, daily_start, UTC)
                closes = datetime.combine(day, daily_end, UTC)
                if closes <= opens:
                    closes += timedelta(days=1)
                opens, closes = max(opens, period_start), min(closes, period_end)
                if opens < closes:
                    found.append((opens, closes))
            day += timedelta(days=1)
    return sorted(found)


def active_during(schedule, start: datetime, end: datetime) -> bool:
    """Whether the zone is active at any moment of [start, end] (a permit's window)."""
    return bool(intervals(schedule, start, end + timedelta(microseconds=1)))


def active_at(schedule, moment: datetime) -> bool:
    return active_during(schedule, moment, moment)


def describe(schedule) -> str:
    """The schedule in words, for the pages."""
    if not schedule:
        return "always"
    parts = []
    for period in schedule:
        words = []
        if period.get("starts_at") or period.get("ends_at"):
            words.append(f"{period.get('starts_at') or '…'} → {period.get('ends_at') or '…'}")
        if period.get("daily"):
            daily = period["daily"]
            days = ", ".join(daily["days"]) if daily["days"] else "daily"
            words.append(f"{days} {daily['start']}–{daily['end']} UTC")
        parts.append(" ".join(words))
    return "; ".join(parts)
