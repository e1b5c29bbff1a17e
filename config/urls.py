"""Root URLs: the API under /api/v1/, its schema and docs, the admin, and the pages."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from airspace.sign_in import slowed_down_per_address

urlpatterns = [
    path("api/v1/", include("airspace.urls")),
    path("api/v1/", include("permits.urls")),
    path("api/v1/air-defense/", include("airspace.air_defense_urls")),
    path("api/v1/tracks/", include("airspace.track_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="api-redoc"),
    # The admin's own sign-in, slowed down per address like the login page (django-axes locks out
    # a username on both); listed before the admin so that it is the view this path resolves to.
    path("admin/login/", slowed_down_per_address(admin.site.login)),
    path("admin/", admin.site.urls),
    path("", include("permits.page_urls")),
    path("", include("airspace.page_urls")),
]
