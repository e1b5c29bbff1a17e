"""Browser pages of permits: the operator's applications and the staff review queue."""

urlpatterns = []
