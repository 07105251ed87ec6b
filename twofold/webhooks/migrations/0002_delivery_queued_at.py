from django.db import migrations, models


def settled_as_queued(apps, schema_editor):  # type: ignore[no-untyped-def]
    # Settled deliveries need no task: marked queued, they stay out of the sweep's partial index.
    # Those pending or retrying stay unmarked: the first sweep queues them again, which is harmless
    # (an attempt is made once) and rescues any left pending by a process that died.
    Delivery = apps.get_model("webhooks", "Delivery")
    Delivery.objects.filter(status__in=["succeeded", "failed", "cancelled"]).update(queued_at=models.F("created_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("webhooks", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="delivery",
            name="queued_at",
            field=models.DateTimeField(
                blank=True,
                help_text="When the task making the next attempt was queued; empty: not known to be.",
                null=True,
            ),
        ),
        migrations.AlterField(
            model_name="delivery",
            name="status",
            field=models.CharField(
                choices=[
                    ("pending", "Waiting to be sent"),
                    ("retrying", "Failed; will try again"),
                    ("succeeded", "Delivered"),
                    ("failed", "Failed; gave up"),
                    ("cancelled", "Not sent: the webhook was disabled, or no longer takes this event"),
                ],
                default="pending",
                max_length=10,
            ),
        ),
        migrations.RunPython(settled_as_queued, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="delivery",
            index=models.Index(
                condition=models.Q(("queued_at__isnull", True)), fields=["status"], name="webhook_delivery_unqueued"
            ),
        ),
    ]
