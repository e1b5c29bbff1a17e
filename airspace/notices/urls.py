"""Routes of the notices: the API and the page."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from . import views
from .api import OperatorNoticeViewSet

router = DefaultRouter()
router.include_root_view = False
router.register("notices", OperatorNoticeViewSet, basename="notice")

api_urls = router.urls

page_urls = [
    path("notices/", views.notices_page, name="notices"),
    path("notices/read/", views.notices_read, name="notices-read"),
]
