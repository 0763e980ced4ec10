# HumanTask now belongs to the worklist (its 0001 took it over); state only, the table
# engine_humantask stays.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("engine", "0004_dependency_state"),
        ("tasks_inbox", "0003_tasks_move_to_worklist"),
        ("worklist", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="HumanTask")],
            database_operations=[],
        ),
    ]
