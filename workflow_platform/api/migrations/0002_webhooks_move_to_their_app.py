from django.db import migrations


# The webhook models now belong to the webhooks app (its 0001 takes over the same
# tables); the API app forgets them without touching the database. Their content types
# move along, so permissions already granted on them (tenant admins' group) still hold.


def move_content_types(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    moved = ContentType.objects.filter(
        app_label="api", model__in=["webhooksubscription", "webhookdelivery"]
    )
    for content_type in moved:
        taken = ContentType.objects.filter(app_label="webhooks", model=content_type.model)
        if not taken.exists():
            content_type.app_label = "webhooks"
            content_type.save(update_fields=["app_label"])


class Migration(migrations.Migration):

    dependencies = [
        ('api', '0001_initial'),
        ('webhooks', '0001_initial'),
        ('contenttypes', '0002_remove_content_type_name'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name='WebhookDelivery'),
                migrations.DeleteModel(name='WebhookSubscription'),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_types, migrations.RunPython.noop),
    ]
