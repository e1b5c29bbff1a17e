"""Fixtures of the page tests that use Django's test client, and what they read from a page."""

import html
import re

import pytest


@pytest.fixture
def browser_for(client):
    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in


INTERNAL_NAME = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")  # min_altitude_m, radius_m, serial_number ...


def shown_errors(page):
    """Every message the page shows in an error list."""
    return [
        html.unescape(m)
        for m in re.findall(r"<li>(.*?)</li>", "".join(re.findall(r'class="errorlist".*?</ul>', page, re.S)))
    ]
