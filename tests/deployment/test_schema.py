"""The models and the migrations agree: moving models between packages (docs/ARCHITECTURE.md) or
changing a field without a migration would make a database built from the migrations differ from
what the code expects."""

import io

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_the_migrations_describe_the_models_exactly():
    out = io.StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()
