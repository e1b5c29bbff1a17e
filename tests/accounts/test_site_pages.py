"""The site's pages: who sees what, sign-in, refused and missing pages
through Django's test client (the browser tests in tests/end_to_end/ do the same in Chromium)."""

import pytest

from airspace import roles

pytestmark = pytest.mark.django_db


PAGES = {
    "operator": ["/permits/", "/permits/new/", "/aircraft/"],
    "staff": ["/review/", "/permits/", "/aircraft/", "/zones/"],
    "air_defense": ["/console/"],
}


def test_anonymous_visitors_are_sent_to_sign_in(client):
    for path in ["/", "/permits/", "/review/", "/console/", "/zones/", "/aircraft/"]:
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")


@pytest.mark.parametrize(
    ("role", "home"),
    [(roles.OPERATOR, "/permits/"), (roles.COMMAND_STAFF, "/review/"), (roles.AIR_DEFENSE, "/console/")],
)
def test_each_role_starts_on_its_page_and_sees_only_its_navigation(make_user, browser_for, role, home):
    client = browser_for(make_user(role))
    assert client.get("/")["Location"] == home
    page = client.get(home).content.decode()
    mine = {roles.OPERATOR: "operator", roles.COMMAND_STAFF: "staff", roles.AIR_DEFENSE: "air_defense"}[role]
    for group, paths in PAGES.items():
        for path in paths:
            if group == mine:
                assert f'href="{path}"' in page, path
            elif path not in PAGES[mine]:
                assert f'href="{path}"' not in page, path


@pytest.mark.parametrize("role", [roles.OPERATOR, roles.COMMAND_STAFF, roles.AIR_DEFENSE])
def test_pages_load_nothing_from_outside_by_default(make_user, browser_for, role):
    # A closed network has no CDN and no public tile server: every script, style and tile is ours.
    client = browser_for(make_user(role))
    mine = {roles.OPERATOR: "operator", roles.COMMAND_STAFF: "staff", roles.AIR_DEFENSE: "air_defense"}[role]
    for path in PAGES[mine]:
        page = client.get(path).content.decode()
        assert "://" not in page, path


@pytest.mark.parametrize(
    ("role", "forbidden"),
    [
        (roles.OPERATOR, ["/review/", "/zones/", "/console/"]),
        (roles.COMMAND_STAFF, ["/console/", "/permits/new/"]),
        (roles.AIR_DEFENSE, ["/review/", "/zones/", "/aircraft/", "/permits/new/"]),
        (roles.SENSOR, ["/permits/", "/review/", "/console/", "/aircraft/"]),
    ],
)
def test_pages_of_other_roles_are_forbidden(make_user, browser_for, role, forbidden):
    client = browser_for(make_user(role))
    for path in forbidden:
        assert client.get(path).status_code == 403, path


def test_refused_and_missing_pages_say_so_inside_the_site(make_permit, operator_user, other_operator_user, browser_for):
    client = browser_for(operator_user)
    refused = client.get("/zones/")
    assert refused.status_code == 403
    assert "Only command staff manage zones" in refused.content.decode()
    assert 'href="/permits/"' in refused.content.decode()  # the navigation is still there
    missing = client.get(f"/permits/{make_permit(owner=other_operator_user).pk}/")
    assert missing.status_code == 404 and 'href="/permits/"' in missing.content.decode()
