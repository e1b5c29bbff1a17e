from django.db import migrations, models


class Migration(migrations.Migration):
    """The permits in effect in a window, soonest first, from a partial index (issue 16 item 3: the
    console's map with 100,000 permits in the table)."""

    dependencies = [
        ("permits", "0004_permit_signatures"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="flightpermit",
            index=models.Index(
                condition=models.Q(("state__in", ["approved", "active"])),
                fields=["starts_at", "id", "ends_at"],
                name="permit_in_effect_by_start",
            ),
        ),
    ]
