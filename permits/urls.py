"""Routes of the permit workflow: the API (under /api/v1/) and the pages."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from . import views
from .api import FlightPermitViewSet

router = DefaultRouter()
router.include_root_view = False
router.register("permits", FlightPermitViewSet, basename="permit")

api_urls = router.urls

page_urls = [
    path("permits/", views.permit_list, name="permit-list"),
    path("permits/new/", views.permit_new, name="permit-new"),
    path("permits/<int:pk>/", views.permit_detail, name="permit-detail"),
    path("permits/<int:pk>/edit/", views.permit_edit, name="permit-edit"),
    path("permits/<int:pk>/decide/", views.permit_decide, name="permit-decide"),
    path("permits/<int:pk>/<slug:transition>/", views.permit_transition, name="permit-transition"),
    path("review/", views.review_queue_page, name="review-queue"),
]
