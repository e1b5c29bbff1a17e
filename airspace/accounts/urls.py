"""Routes of sign-in: the API token (get, revoke), the login and logout pages, and the home page."""

from django.contrib.auth import views as auth_views
from django.urls import path

from . import api, views
from .sign_in import slowed_down_per_address

api_urls = [
    path("auth/token/", api.obtain_token, name="obtain-token"),
    path("auth/token/revoke/", api.revoke_token, name="revoke-token"),
    path("auth/token/revoke-all/", api.revoke_all_tokens, name="revoke-all-tokens"),
]

page_urls = [
    path("login/", slowed_down_per_address(auth_views.LoginView.as_view()), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", views.home, name="home"),
]
