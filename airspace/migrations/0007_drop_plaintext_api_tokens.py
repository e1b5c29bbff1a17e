"""API tokens moved from DRF's authtoken (keys stored in clear) to django-rest-knox (digests only):
drop the old table, so that no usable key is left in the database or its backups, and forget its
migrations, as if the app had never been installed. Holders fetch a new token."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('airspace', '0006_notification_delivered_at_index'),
    ]

    operations = [
        migrations.RunSQL(
            [
                "DROP TABLE IF EXISTS authtoken_token",
                "DELETE FROM django_migrations WHERE app = 'authtoken'",
            ],
            reverse_sql=migrations.RunSQL.noop,
        ),
    ]
