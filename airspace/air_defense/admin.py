"""Admin of the notifications and webhooks."""

from django import forms
from django.contrib import admin

from . import webhooks
from .models import AirDefenseNotification, WebhookDelivery, WebhookSubscription


@admin.register(AirDefenseNotification)
class AirDefenseNotificationAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "severity", "created_at", "delivered_at", "acknowledged_at"]
    list_filter = ["kind", "severity"]


class WebhookSubscriptionForm(forms.ModelForm):
    url = forms.URLField(max_length=500, assume_scheme="https")

    class Meta:
        model = WebhookSubscription
        fields = ["name", "url", "active"]

    def clean_url(self):
        url = self.cleaned_data["url"]
        if problem := webhooks.destination_problem(url):
            raise forms.ValidationError(problem)
        return url


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    """The secret is never shown here: generated when the subscription is added and shown that once."""

    form = WebhookSubscriptionForm
    list_display = ["name", "url", "active", "created_at"]
    list_filter = ["active"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.secret = webhooks.new_secret()
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
        if not change:
            self.message_user(
                request,
                f"The signing secret of {obj.name} is {obj.secret} — give it to the receiver now: "
                "it is not shown again.",
            )


admin.site.register(WebhookDelivery)
