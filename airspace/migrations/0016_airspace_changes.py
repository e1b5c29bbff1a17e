from django.db import migrations, models


class Migration(migrations.Migration):
    """The airspace change log: processes apply each permit or zone change to their index instead
    of rebuilding it (issue 16 item 3)."""

    dependencies = [
        ("airspace", "0015_dealers"),
    ]

    operations = [
        migrations.AddField(
            model_name="airspaceversion",
            name="token",
            field=models.BigIntegerField(default=0),
        ),
        migrations.CreateModel(
            name="AirspaceChange",
            fields=[
                ("number", models.BigIntegerField(primary_key=True, serialize=False)),
                ("token", models.BigIntegerField()),
                (
                    "kind",
                    models.CharField(
                        choices=[("permit", "Permit"), ("zone", "Zone"), ("everything", "Everything")], max_length=10
                    ),
                ),
                ("object_id", models.BigIntegerField(null=True)),
            ],
        ),
    ]
