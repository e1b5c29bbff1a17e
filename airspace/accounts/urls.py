"""Routes of sign-in: the API token, the login and logout pages, and the home page."""

from django.contrib.auth import views as auth_views
from django.urls import path

from . import api, views
from .sign_in import SignInForm

api_urls = [
    path("auth/token/", api.obtain_token, name="obtain-token"),
]

page_urls = [
    path("login/", auth_views.LoginView.as_view(authentication_form=SignInForm), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", views.home, name="home"),
]
