"""Fixtures of the page tests that use Django's test client."""

import pytest


@pytest.fixture
def browser_for(client):
    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in
