"""API routes of sensor reports and tracks."""

urlpatterns = []
