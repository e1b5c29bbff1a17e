from rest_framework.routers import DefaultRouter

from .api import FlightPermitViewSet

router = DefaultRouter()
router.include_root_view = False
router.register("permits", FlightPermitViewSet, basename="permit")

urlpatterns = router.urls
