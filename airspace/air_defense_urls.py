"""API routes of the air defense inbox, stream and webhook subscriptions."""

urlpatterns = []
