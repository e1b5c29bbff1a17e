"""Root URLs: the API of every domain under /api/v1/, its schema and docs, the admin, and the pages.
Each domain's urls.py holds its `api_urls` and `page_urls`."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from airspace.accounts import urls as accounts
from airspace.accounts.sign_in import slowed_down_per_address
from airspace.air_defense import urls as air_defense
from airspace.incidents import urls as incidents
from airspace.notices import urls as notices
from airspace.operations import urls as operations
from airspace.registry import urls as registry
from airspace.surveillance import urls as surveillance
from airspace.trade import urls as trade
from airspace.zones import urls as zones
from permits import urls as permits

DOMAINS = [accounts, registry, zones, permits, air_defense, surveillance, notices, incidents, trade]

urlpatterns = [
    *(path("api/v1/", include(domain.api_urls)) for domain in DOMAINS),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="api-redoc"),
    # The admin's own sign-in, slowed down per address like the login page (django-axes locks out
    # a username on both); listed before the admin so that it is the view this path resolves to.
    path("admin/login/", slowed_down_per_address(admin.site.login)),
    path("admin/", admin.site.urls),
    path("", include(operations)),
    *(path("", include(domain.page_urls)) for domain in DOMAINS),
]
