"""The one time display of the pages: the display time zone (DISPLAY_TIME_ZONE, Baghdad by default)
with UTC beside it, inside a <time> element carrying the exact instant for scripts and tests."""

from datetime import UTC
from zoneinfo import ZoneInfo

from django import template
from django.conf import settings
from django.utils import timezone
from django.utils.html import format_html

register = template.Library()


def display_zone() -> ZoneInfo:
    return ZoneInfo(settings.DISPLAY_TIME_ZONE)


def zone_label() -> str:
    """The display zone as people say it: "Baghdad" for Asia/Baghdad."""
    return settings.DISPLAY_TIME_ZONE.rsplit("/", 1)[-1].replace("_", " ")


@register.filter
def when(moment, style="full"):
    """`{{ permit.starts_at|when }}` → 30 Nov 2026 14:05 Baghdad (11:05 UTC).
    `|when:"time"` leaves out the date, `|when:"seconds"` adds seconds to both."""
    if not moment:
        return ""
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, UTC)
    local = moment.astimezone(display_zone())
    utc = moment.astimezone(UTC)
    clock = "%H:%M:%S" if style == "seconds" else "%H:%M"
    shown = local.strftime(clock if style == "time" else f"%-d %b %Y {clock}")
    utc_shown = utc.strftime(clock)
    if style != "time" and utc.date() != local.date():
        utc_shown = utc.strftime(f"%-d %b {clock}")
    return format_html(
        '<time datetime="{}">{} {} <span class="utc">({} UTC)</span></time>',
        utc.isoformat(),
        shown,
        zone_label(),
        utc_shown,
    )


@register.simple_tag
def display_zone_name():
    """For form labels: "Baghdad time (UTC+03:00)"."""
    offset = timezone.now().astimezone(display_zone()).strftime("%z")
    return f"{zone_label()} time (UTC{offset[:3]}:{offset[3:]})"
