# Task activity and search text now belong to the worklist (its 0001 took them over);
# state only, the tables stay where they are.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("tasks_inbox", "0002_task_search_text"),
        ("worklist", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="TaskActivity"),
                migrations.DeleteModel(name="TaskSearchText"),
            ],
            database_operations=[],
        ),
    ]
