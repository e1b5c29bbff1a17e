"""The OpenAPI schema is generated without a warning: two serializers of the same name in two domains
made one component stand for both (the incident's and the permit's transition bodies), and a
generated client would have sent the wrong body to one of them."""

from django.core.management import call_command


def test_the_schema_is_generated_and_valid_without_a_warning(tmp_path):
    # --fail-on-warn turns any warning of drf-spectacular into a failure of the command.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))
    assert (tmp_path / "schema.yml").read_text().startswith("openapi: 3")
