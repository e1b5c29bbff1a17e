"""Admin of the TAK endpoints (administrators add them: their TLS files live on the c2 workers' hosts)
and their alert deliveries."""

from pathlib import Path

from django import forms
from django.contrib import admin

from . import transport
from .models import TakDelivery, TakEndpoint

DELIVERY_STATE = [
    "last_delivered_at",
    "last_attempt_at",
    "consecutive_failures",
    "last_error",
    "next_attempt_at",
    "sending_until",
    "permits_sent_at",
]


class TakEndpointForm(forms.ModelForm):
    class Meta:
        model = TakEndpoint
        fields = [
            "name",
            "url",
            "active",
            "tls_client_cert",
            "tls_client_key",
            "tls_client_password",
            "tls_ca_file",
            "multicast_ttl",
            "multicast_interface",
        ]
        widgets = {"tls_client_password": forms.PasswordInput(render_value=True)}

    def clean_url(self):
        url = self.cleaned_data["url"].strip()
        if problem := transport.url_problem(url):
            raise forms.ValidationError(problem)
        return url

    def clean(self):
        cleaned = super().clean()
        if not (cleaned.get("url") or "").startswith("tls://"):
            return cleaned
        # TAK servers ask TLS clients for a certificate; the server's own is checked against the CA.
        for field in ("tls_client_cert", "tls_ca_file"):
            if not cleaned.get(field):
                self.add_error(field, "A tls:// endpoint needs this file.")
        for field in ("tls_client_cert", "tls_client_key", "tls_ca_file"):
            path = cleaned.get(field)
            if path and not Path(path).is_file():
                self.add_error(field, f"No file {path} on this host (it must be on the c2 workers' hosts too).")
        return cleaned


@admin.register(TakEndpoint)
class TakEndpointAdmin(admin.ModelAdmin):
    form = TakEndpointForm
    list_display = ["name", "url", "active", "last_delivered_at", "consecutive_failures", "last_error"]
    list_filter = ["active"]
    readonly_fields = DELIVERY_STATE


@admin.register(TakDelivery)
class TakDeliveryAdmin(admin.ModelAdmin):
    list_display = ["notification", "endpoint", "attempts", "created_at", "delivered_at"]
    list_filter = ["endpoint"]
    list_select_related = ["notification", "endpoint"]
    readonly_fields = ["endpoint", "notification", "attempts", "created_at", "delivered_at"]
