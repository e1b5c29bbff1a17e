"""Create the role groups so that they exist before anyone is added to them."""

from django.db import migrations

ROLE_GROUPS = ["operators", "command_staff", "senior_officers", "air_defense", "sensors"]


def create_role_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in ROLE_GROUPS:
        Group.objects.get_or_create(name=name)


class Migration(migrations.Migration):
    dependencies = [("airspace", "0002_initial"), ("auth", "0012_alter_user_first_name_max_length")]

    operations = [migrations.RunPython(create_role_groups, migrations.RunPython.noop)]
