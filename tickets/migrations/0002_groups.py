"""Create the agents, supervisors and shop staff groups with their permissions.

Permissions are normally created after migrate (post_migrate); we create them here first so
the groups are complete on a fresh database. Buyers are plain users and belong to no group.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

VIEW_ALL = [
    "orders.view_shop", "orders.view_order", "orders.view_orderline", "orders.view_buyerprofile",
    "logistics.view_carrier", "logistics.view_parcel", "logistics.view_trackingevent", "logistics.view_trackingnumberchange",
    "logistics.view_parcelanomaly", "logistics.view_carrierthreshold",
    "tickets.view_ticket", "tickets.view_message", "tickets.view_attachment", "tickets.view_ticketevent", "tickets.view_claim", "tickets.view_ticketanomaly",
]
AGENT = VIEW_ALL + [
    "tickets.add_ticket", "tickets.change_ticket", "tickets.add_message", "tickets.add_attachment",
    "tickets.add_claim", "tickets.change_claim", "logistics.change_parcel", "logistics.add_trackingnumberchange",
]
SUPERVISOR = AGENT + ["tickets.reassign_ticket", "tickets.view_reports", "tickets.approve_claim", "logistics.change_carrier",
                      "logistics.add_carrierthreshold", "logistics.change_carrierthreshold"]
SHOP_STAFF = VIEW_ALL + [
    "orders.add_order", "orders.change_order", "orders.add_orderline", "orders.change_orderline",
    "logistics.add_parcel", "logistics.change_parcel", "logistics.add_trackingnumberchange",
    "tickets.add_ticket", "tickets.add_message", "tickets.add_attachment",
]
GROUPS = {"agents": AGENT, "supervisors": SUPERVISOR, "shop staff": SHOP_STAFF}


def create_groups(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codes in GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        perms = []
        for code in codes:
            app_label, codename = code.split(".")
            perms.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
        group.permissions.add(*perms)  # add, not set: other apps grant their own permissions to these groups too


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=GROUPS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0001_initial"),
        ("orders", "0001_initial"),
        ("logistics", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(create_groups, remove_groups)]
