"""The permit page's signed code: the QR code of the approval and the way to check it."""

from django import template
from django.utils.safestring import mark_safe

from permits.models import IN_EFFECT_STATES, State
from permits.signing import qr_svg

register = template.Library()


@register.simple_tag
def signed_permit_code(permit):
    """The permit's signed code for the page (None when it has none): its QR code as inline SVG
    (made here from the stored token; segno writes only its own markup), the token, and whether a
    checkpoint should honour it now."""
    signature = getattr(permit, "signature", None) if permit.state != State.DRAFT else None
    if signature is None:
        return None
    return {
        "token": signature.token,
        "kid": signature.kid,
        "signed_at": signature.signed_at,
        "svg": mark_safe(qr_svg(signature.token)),  # noqa: S308 - segno's own SVG of our token
        "in_effect": permit.state in IN_EFFECT_STATES,
        "withdrawn": permit.state in (State.REVOKED, State.CANCELLED),
    }
