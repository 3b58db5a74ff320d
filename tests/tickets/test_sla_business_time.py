"""Business-time arithmetic (tickets.sla.business_time): pure, no database.

Moscow is UTC+3 and Shanghai UTC+8 all year (no daylight saving time), so local times convert exactly.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from tickets.sla import BusinessCalendar, add_business_time, business_time_between, country_for_zone

MSK, CST = zoneinfo.ZoneInfo("Europe/Moscow"), zoneinfo.ZoneInfo("Asia/Shanghai")
RU = BusinessCalendar(time_zone="Europe/Moscow", country="RU")
CN = BusinessCalendar(time_zone="Asia/Shanghai", country="CN")
H = dt.timedelta(hours=1)


def msk(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=MSK)


def cst(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=CST)


def test_time_inside_one_day_is_plain_addition_and_comes_back_in_utc():
    due = add_business_time(RU, msk(2026, 11, 30, 10, 0), 2 * H)
    assert due == msk(2026, 11, 30, 12, 0) and due.tzinfo == dt.UTC


def test_a_weekend_does_not_count():
    assert add_business_time(RU, msk(2026, 11, 27, 17, 0), 2 * H) == msk(2026, 11, 30, 10, 0)  # Friday → Monday


def test_time_before_opening_and_after_closing_does_not_count():
    assert add_business_time(RU, msk(2026, 11, 30, 7, 0), H) == msk(2026, 11, 30, 10, 0)
    assert add_business_time(RU, msk(2026, 11, 30, 20, 0), H) == msk(2026, 12, 1, 10, 0)


def test_a_target_that_uses_up_the_day_ends_at_closing_not_next_morning():
    assert add_business_time(RU, msk(2026, 11, 30, 17, 0), H) == msk(2026, 11, 30, 18, 0)


def test_a_zero_target_is_the_start_itself_even_outside_hours():
    assert add_business_time(RU, msk(2026, 11, 28, 3, 0), dt.timedelta(0)) == msk(2026, 11, 28, 3, 0)


def test_nine_business_hours_on_a_working_day_is_the_same_time_next_working_day():
    assert add_business_time(RU, msk(2026, 12, 1, 13, 0), 9 * H) == msk(2026, 12, 2, 13, 0)


def test_russian_new_year_holidays_and_the_transferred_days_off_are_skipped():
    # 31 Dec 2025 is a day off moved from 5 Jan; 1–8 Jan holidays; 9 Jan 2026 moved from Saturday 3 Jan.
    assert add_business_time(RU, msk(2025, 12, 30, 17, 30), H) == msk(2026, 1, 12, 9, 30)


def test_a_holiday_on_a_weekend_gives_the_next_monday_off():
    # 8 March 2026 is a Sunday: Monday 9 March is off instead.
    assert add_business_time(RU, msk(2026, 3, 6, 17, 0), 2 * H) == msk(2026, 3, 10, 10, 0)


def test_a_transferred_working_saturday_counts_and_its_moved_monday_does_not():
    # 2027: Saturday 20 February is a working day, Monday 22 February a day off, 23 February Defender's Day.
    assert add_business_time(RU, msk(2027, 2, 19, 17, 0), 2 * H) == msk(2027, 2, 20, 10, 0)
    assert add_business_time(RU, msk(2027, 2, 20, 17, 0), 2 * H) == msk(2027, 2, 24, 10, 0)


def test_the_chinese_spring_festival_and_its_working_saturday():
    # 2026: Saturday 14 February is a working day (调休); 15–23 February are off.
    assert add_business_time(CN, cst(2026, 2, 13, 17, 0), 2 * H) == cst(2026, 2, 14, 10, 0)
    assert add_business_time(CN, cst(2026, 2, 14, 17, 0), 2 * H) == cst(2026, 2, 24, 10, 0)


def test_the_same_instant_falls_in_each_shops_own_hours():
    start = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC)  # 11:00 in Moscow, 16:00 in Shanghai
    assert add_business_time(RU, start, 3 * H) == msk(2026, 12, 1, 14, 0)
    assert add_business_time(CN, start, 3 * H) == cst(2026, 12, 2, 10, 0)


def test_a_calendar_without_a_country_keeps_no_public_holidays():
    plain = BusinessCalendar(time_zone="Europe/Moscow", country="")
    assert add_business_time(plain, msk(2026, 11, 3, 17, 0), 2 * H) == msk(2026, 11, 4, 10, 0)  # Unity Day is worked
    assert add_business_time(RU, msk(2026, 11, 3, 17, 0), 2 * H) == msk(2026, 11, 5, 10, 0)


def test_special_days_override_week_and_country():
    short_day = {dt.date(2026, 11, 3): (dt.time(9), dt.time(17))}  # the pre-holiday day, an hour shorter
    calendar = BusinessCalendar(time_zone="Europe/Moscow", country="RU", special_days=short_day)
    assert add_business_time(calendar, msk(2026, 11, 3, 16, 30), H) == msk(2026, 11, 5, 9, 30)
    closed = BusinessCalendar(time_zone="Europe/Moscow", special_days={dt.date(2026, 12, 1): None})
    assert add_business_time(closed, msk(2026, 11, 30, 17, 0), 2 * H) == msk(2026, 12, 2, 10, 0)
    sunday = BusinessCalendar(time_zone="Europe/Moscow", special_days={dt.date(2026, 11, 29): (dt.time(10), dt.time(12))})
    assert add_business_time(sunday, msk(2026, 11, 27, 17, 0), 2 * H) == msk(2026, 11, 29, 11, 0)


def test_own_weekly_hours_replace_the_default_week():
    saturdays = BusinessCalendar(time_zone="Asia/Shanghai", week={5: (dt.time(10), dt.time(14))})
    assert add_business_time(saturdays, cst(2026, 11, 30, 9, 0), 5 * H) == cst(2026, 12, 12, 11, 0)


def test_business_time_between_counts_only_working_time_and_signs_backwards():
    assert business_time_between(RU, msk(2026, 11, 27, 17, 0), msk(2026, 11, 30, 10, 0)) == 2 * H
    assert business_time_between(RU, msk(2026, 11, 30, 10, 0), msk(2026, 11, 27, 17, 0)) == -2 * H
    assert business_time_between(RU, msk(2026, 11, 28, 10, 0), msk(2026, 11, 29, 10, 0)) == dt.timedelta(0)
    assert business_time_between(RU, msk(2026, 12, 30, 9, 0), msk(2027, 1, 11, 10, 0)) == 10 * H  # 30 Dec + 11 Jan
    assert business_time_between(RU, msk(2026, 12, 1, 10, 0), msk(2026, 12, 1, 10, 0)) == dt.timedelta(0)


@pytest.mark.parametrize("hours", [1, 7, 9, 10, 27, 45, 100])
def test_adding_then_measuring_gives_the_amount_back(hours):
    start = msk(2026, 12, 25, 15, 20)
    assert business_time_between(RU, start, add_business_time(RU, start, hours * H)) == hours * H


def test_it_refuses_naive_datetimes_negative_amounts_and_a_calendar_without_working_time():
    with pytest.raises(ValueError, match="aware"):
        add_business_time(RU, dt.datetime(2026, 12, 1, 10, 0), H)  # noqa: DTZ001 - the point of the test
    with pytest.raises(ValueError, match="negative"):
        add_business_time(RU, msk(2026, 12, 1, 10, 0), -H)
    with pytest.raises(ValueError, match="no working time"):
        add_business_time(BusinessCalendar(week={}), msk(2026, 12, 1, 10, 0), H)


def test_country_for_zone():
    assert (country_for_zone("Europe/Moscow"), country_for_zone("Asia/Vladivostok")) == ("RU", "RU")
    assert (country_for_zone("Asia/Shanghai"), country_for_zone("Asia/Urumqi")) == ("CN", "CN")
    assert country_for_zone("Europe/Berlin") == ""


def test_the_holidays_package_knows_the_2026_and_2027_russian_transfers():
    from tickets.sla.business_time import country_days

    off_2026, worked_2026 = country_days("RU", 2026)
    off_2027, worked_2027 = country_days("RU", 2027)
    assert {dt.date(2026, 1, 9), dt.date(2026, 12, 31), dt.date(2026, 3, 9), dt.date(2026, 5, 11)} <= off_2026
    assert worked_2026 == frozenset()
    assert {dt.date(2027, 2, 22), dt.date(2027, 11, 5), dt.date(2027, 12, 31)} <= off_2027
    assert worked_2027 == {dt.date(2027, 2, 20)}
    assert dt.date(2026, 2, 28) in country_days("CN", 2026)[1] and dt.date(2026, 10, 7) in country_days("CN", 2026)[0]
    assert country_days("", 2026) == (frozenset(), frozenset())
