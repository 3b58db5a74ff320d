"""Let shop staff and supervisors manage their shops' marketplace accounts (sync, posting-report upload) and read the push log.

Groups are looked up (or made) by name, so this app does not depend on the tickets migrations that
first created them.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

SHOP_STAFF = ["add_marketplaceaccount", "change_marketplaceaccount", "view_marketplaceaccount", "view_marketplacepush"]
GRANTS = {"shop staff": SHOP_STAFF, "supervisors": SHOP_STAFF, "agents": ["view_marketplacepush"]}


def grant(apps, schema_editor):
    app_config = apps.get_app_config("marketplace")
    app_config.models_module = True  # permissions are normally made after migrate (post_migrate): make them now
    create_permissions(app_config, verbosity=0, apps=apps)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GRANTS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(*Permission.objects.filter(content_type__app_label="marketplace", codename__in=codenames))


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    for group in apps.get_model("auth", "Group").objects.filter(name__in=GRANTS):
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="marketplace"))


class Migration(migrations.Migration):
    dependencies = [("marketplace", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]
    operations = [migrations.RunPython(grant, revoke)]
