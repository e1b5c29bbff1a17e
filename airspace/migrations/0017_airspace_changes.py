from django.db import migrations, models


class Migration(migrations.Migration):
    """The airspace change log: processes apply each permit or zone change to their index instead
    of rebuilding it; and the index of the alerts waiting for an acknowledgement (issue 16 item 3)."""

    dependencies = [
        ("airspace", "0016_evidence_partitions"),
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
        # The console's count of alerts waiting for an acknowledgement (bench/national.py).
        migrations.AddIndex(
            model_name="airdefensenotification",
            index=models.Index(
                condition=models.Q(("acknowledged_at", None), ("severity__in", ["warning", "critical"])),
                fields=["created_at"],
                name="notification_awaiting_ack",
            ),
        ),
    ]
