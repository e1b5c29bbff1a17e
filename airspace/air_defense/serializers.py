"""Serializers of the air defense inbox and webhook subscriptions."""

from django.core.validators import URLValidator
from rest_framework import serializers

from .models import AirDefenseNotification, WebhookDelivery, WebhookSubscription
from .webhooks import destination_problem, secret_problem


class WebhookDeliverySerializer(serializers.ModelSerializer):
    subscription_name = serializers.CharField(source="subscription.name", read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "subscription",
            "subscription_name",
            "status",
            "attempts",
            "last_status_code",
            "last_error",
            "next_attempt_at",
            "delivered_at",
        ]
        read_only_fields = fields


class NotificationSerializer(serializers.ModelSerializer):
    acknowledged_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    needs_acknowledgement = serializers.BooleanField(
        read_only=True,
        help_text="Warning or critical: someone must acknowledge it. Info needs none (acknowledging it is harmless).",
    )

    class Meta:
        model = AirDefenseNotification
        fields = [
            "id",
            "kind",
            "severity",
            "payload",
            "permit",
            "track",
            "created_at",
            "delivered_at",
            "delivery_attempts",
            "acknowledged_at",
            "acknowledged_by",
            "needs_acknowledgement",
        ]
        read_only_fields = fields


class NotificationDetailSerializer(NotificationSerializer):
    """One notification with where it went: each webhook delivery and its outcome."""

    webhook_deliveries = WebhookDeliverySerializer(many=True, read_only=True)

    class Meta(NotificationSerializer.Meta):
        fields = NotificationSerializer.Meta.fields + ["webhook_deliveries"]
        read_only_fields = fields


class WebhookSubscriptionSerializer(serializers.ModelSerializer):
    """`secret` is write-only: it is returned once, in the response that creates the subscription."""

    url = serializers.URLField(
        max_length=500,
        validators=[URLValidator(schemes=["http", "https"])],
        help_text="http(s) URL to POST to; its host must be in the service's WEBHOOK_ALLOWED_DESTINATIONS.",
    )
    secret = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=300,
        help_text=(
            "Standard Webhooks signing secret, `whsec_` and the base64 of 24 to 64 random bytes; "
            "generated if omitted, shown only once."
        ),
    )

    class Meta:
        model = WebhookSubscription
        fields = ["id", "name", "url", "secret", "active", "addressed_only", "created_at"]
        read_only_fields = ["id", "created_at"]

    def validate_url(self, url):
        if problem := destination_problem(url):
            raise serializers.ValidationError(problem)
        return url

    def validate_secret(self, secret):
        if secret and (problem := secret_problem(secret)):
            raise serializers.ValidationError(problem)
        return secret


class CreatedWebhookSubscriptionSerializer(serializers.ModelSerializer):
    """The create response: the only time the secret is shown."""

    class Meta:
        model = WebhookSubscription
        fields = ["id", "name", "url", "secret", "active", "addressed_only", "created_at"]
        read_only_fields = fields
