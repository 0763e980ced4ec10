import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


# Human tasks, their activity and search text move here from the engine and the inbox
# (issue 12, docs/adr/0012-the-worklist.md). The tables keep their names: this changes
# Django's model state only, nothing in the database.


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('engine', '0004_dependency_state'),
        ('tasks_inbox', '0002_task_search_text'),
        ('tenancy', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='HumanTask',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('state', models.CharField(max_length=100)),
                        ('title', models.CharField(max_length=300)),
                        ('form', models.JSONField(blank=True, default=dict)),
                        ('decisions', models.JSONField(blank=True, default=list)),
                        ('status', models.CharField(choices=[('open', 'Open'), ('claimed', 'Claimed'), ('completed', 'Completed'), ('cancelled', 'Cancelled')], db_index=True, default='open', max_length=16)),
                        ('priority', models.IntegerField(default=0)),
                        ('due_at', models.DateTimeField(blank=True, null=True)),
                        ('escalate_to', models.JSONField(blank=True, null=True)),
                        ('escalated_at', models.DateTimeField(blank=True, null=True)),
                        ('snoozed_until', models.DateTimeField(blank=True, null=True)),
                        ('routing_reason', models.TextField(blank=True)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('claimed_at', models.DateTimeField(blank=True, null=True)),
                        ('completed_at', models.DateTimeField(blank=True, null=True)),
                        ('decision', models.CharField(blank=True, max_length=100)),
                        ('decision_data', models.JSONField(blank=True, null=True)),
                        ('revision', models.PositiveIntegerField(default=1)),
                        ('assignee', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='assigned_tasks', to=settings.AUTH_USER_MODEL)),
                        ('completed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('group', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='tasks', to='tenancy.operatorgroup')),
                        ('instance', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='tasks', to='engine.instance')),
                        ('tenant', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tenancy.tenant')),
                    ],
                    options={
                        'db_table': 'engine_humantask',
                        'ordering': ['-priority', 'created_at'],
                    },
                ),
                migrations.CreateModel(
                    name='TaskActivity',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('action', models.CharField(max_length=32)),
                        ('detail', models.JSONField(blank=True, default=dict)),
                        ('at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('task', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='activities', to='worklist.humantask')),
                        ('tenant', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tenancy.tenant')),
                        ('user', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name_plural': 'task activities',
                        'db_table': 'tasks_inbox_taskactivity',
                        'ordering': ['at', 'id'],
                    },
                ),
                migrations.CreateModel(
                    name='TaskSearchText',
                    fields=[
                        ('task', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='search', serialize=False, to='worklist.humantask')),
                        ('text', models.TextField()),
                        ('tenant', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tenancy.tenant')),
                    ],
                    options={
                        'db_table': 'tasks_inbox_tasksearchtext',
                    },
                ),
                migrations.AddIndex(
                    model_name='humantask',
                    index=models.Index(fields=['tenant', 'status', '-priority'], name='task_queue'),
                ),
            ],
            database_operations=[],
        ),
    ]
