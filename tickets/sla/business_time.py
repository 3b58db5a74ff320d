"""Business-time arithmetic on a shop's working calendar. Pure: no database, no clock.

A `BusinessCalendar` says, for every local date, whether the shop works and from when to when (one
interval a day; lunch breaks are not modelled). The answer is, in this order: the shop's own special
day (a closed day, a transferred working Saturday, a short pre-holiday day), else closed on a public
holiday of its country, else a working weekend day the government moved (the hours of a normal
working day), else its weekly hours. Everything is computed in UTC after localising each day's
interval, so zones with daylight saving time would work too (the ones we serve, Europe/Moscow and
Asia/Shanghai, have none).
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

import holidays

Hours = tuple[dt.time, dt.time]  # opens, closes (local, closes > opens)

NINE_TO_SIX: Hours = (dt.time(9, 0), dt.time(18, 0))
DEFAULT_WEEK: Mapping[int, Hours] = {weekday: NINE_TO_SIX for weekday in range(5)}  # Monday–Friday 09:00–18:00

# A calendar with no working time at all would never reach a due time: stop looking after this many days.
MAX_SEARCH_DAYS = 3 * 366

# Which country's public holidays a shop keeps when nobody said so: the one its time zone is in
# (IANA zone.tab; the legacy Chinese aliases included).
RUSSIAN_ZONES = frozenset({
    "Europe/Kaliningrad", "Europe/Moscow", "Europe/Kirov", "Europe/Volgograd", "Europe/Astrakhan", "Europe/Saratov",
    "Europe/Ulyanovsk", "Europe/Samara", "Asia/Yekaterinburg", "Asia/Omsk", "Asia/Novosibirsk", "Asia/Barnaul",
    "Asia/Tomsk", "Asia/Novokuznetsk", "Asia/Krasnoyarsk", "Asia/Irkutsk", "Asia/Chita", "Asia/Yakutsk",
    "Asia/Khandyga", "Asia/Vladivostok", "Asia/Ust-Nera", "Asia/Magadan", "Asia/Sakhalin", "Asia/Srednekolymsk",
    "Asia/Kamchatka", "Asia/Anadyr", "W-SU",
})
CHINESE_ZONES = frozenset({"Asia/Shanghai", "Asia/Urumqi", "Asia/Chongqing", "Asia/Chungking", "Asia/Harbin", "Asia/Kashgar", "PRC"})


def country_for_zone(time_zone: str) -> str:
    """"RU", "CN" or "" (no public holidays) for an IANA time zone name."""
    if time_zone in RUSSIAN_ZONES:
        return "RU"
    if time_zone in CHINESE_ZONES:
        return "CN"
    return ""


@functools.lru_cache(maxsize=64)
def country_days(country: str, year: int) -> tuple[frozenset[dt.date], frozenset[dt.date]]:
    """(days off, working weekend days) of `country` in `year`, from the `holidays` package.

    For Russia this is the production calendar: the public holidays of Labour Code art. 112, the days
    off moved by the government's decree (e.g. 2026-01-09, 2026-12-31) and the Saturdays made working
    days (e.g. 2027-02-20); for China the State Council's holiday arrangement with its 调休 working
    weekends. The package is maintained yearly; each year is computed once per process.
    """
    if not country:
        return frozenset(), frozenset()
    calendar = holidays.country_holidays(country, years=year)
    return frozenset(calendar), frozenset(day for day in calendar.weekend_workdays if day.year == year)


@dataclass(frozen=True)
class BusinessCalendar:
    """When a shop works. `special_days` maps a date to its hours, or None for a closed day."""

    time_zone: str = "Europe/Moscow"
    week: Mapping[int, Hours] = field(default_factory=lambda: dict(DEFAULT_WEEK))
    country: str = ""
    special_days: Mapping[dt.date, Hours | None] = field(default_factory=dict)

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    @property
    def workday_hours(self) -> Hours:
        """The hours of a working weekend day: those of the first working weekday (Monday, usually)."""
        return next((self.week[day] for day in range(7) if day in self.week), NINE_TO_SIX)

    def hours_on(self, day: dt.date) -> Hours | None:
        if day in self.special_days:
            return self.special_days[day]
        days_off, working_weekend = country_days(self.country, day.year)
        if day in days_off:
            return None
        if day in working_weekend:
            return self.workday_hours
        return self.week.get(day.weekday())

    def intervals(self, start: dt.datetime) -> Iterator[tuple[dt.datetime, dt.datetime]]:
        """Working intervals (UTC, aware) from the local day of `start` on, day by day."""
        tz = self.tz
        day = start.astimezone(tz).date()
        step = dt.timedelta(days=1)
        for _ in range(MAX_SEARCH_DAYS):
            hours = self.hours_on(day)
            if hours is not None:
                opens = dt.datetime.combine(day, hours[0], tzinfo=tz).astimezone(dt.UTC)
                closes = dt.datetime.combine(day, hours[1], tzinfo=tz).astimezone(dt.UTC)
                if closes > opens:
                    yield opens, closes
            day += step
        raise ValueError("This calendar has no working time within three years.")


def _check_aware(*moments: dt.datetime) -> None:
    if any(moment.tzinfo is None for moment in moments):
        raise ValueError("Business-time arithmetic needs aware datetimes.")


def add_business_time(calendar: BusinessCalendar, start: dt.datetime, amount: dt.timedelta) -> dt.datetime:
    """The moment `amount` of working time after `start` (UTC). A zero amount gives `start` itself.

    Time before opening, after closing and on closed days does not count. A due time that uses up a
    day's last minute is that day's closing time, not the next opening. Raises ValueError for naive
    datetimes, a negative amount, or a calendar without working time.
    """
    _check_aware(start)
    if amount < dt.timedelta(0):
        raise ValueError("Cannot add a negative business time.")
    start = start.astimezone(dt.UTC)
    if not amount:
        return start
    left = amount
    for opens, closes in calendar.intervals(start):
        if closes <= start:
            continue
        begin = max(opens, start)
        if begin + left <= closes:
            return begin + left
        left -= closes - begin
    raise AssertionError("unreachable: intervals() raises when it runs out")  # pragma: no cover


def business_time_between(calendar: BusinessCalendar, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
    """Working time from `start` to `end`; negative when `end` is before `start`."""
    _check_aware(start, end)
    if end < start:
        return -business_time_between(calendar, end, start)
    start, end = start.astimezone(dt.UTC), end.astimezone(dt.UTC)
    total = dt.timedelta(0)
    for opens, closes in calendar.intervals(start):
        if opens >= end:
            break
        overlap = min(closes, end) - max(opens, start)
        if overlap > dt.timedelta(0):
            total += overlap
    return total

