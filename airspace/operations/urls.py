"""The metrics route (the health checks are answered by middleware.py, before routing)."""

from django.urls import path

from . import views

urlpatterns = [path("metrics", views.metrics, name="metrics")]
