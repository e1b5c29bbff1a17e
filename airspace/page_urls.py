"""Browser pages: sign in and out, home, the registry, zones and the air defense console."""

from django.contrib.auth import views as auth_views
from django.urls import path

from . import views
from .sign_in import slowed_down_per_address

urlpatterns = [
    path("login/", slowed_down_per_address(auth_views.LoginView.as_view()), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("aircraft/", views.aircraft_page, name="aircraft"),
    path("aircraft/<int:pk>/<slug:action>/", views.aircraft_status, name="aircraft-status"),
    path("zones/", views.zones_page, name="zones"),
    path("zones/<int:pk>/deactivate/", views.zone_deactivate, name="zone-deactivate"),
    path("console/", views.console, name="console"),
    path("", views.home, name="home"),
]
