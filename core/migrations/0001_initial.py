
import django.core.validators
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def default_workspace_create(apps, schema_editor):
    Workspace = apps.get_model("core", "Workspace")
    Workspace.objects.get_or_create(slug="default", defaults={"name": "Encore (the public website)"})


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Workspace',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('slug', models.SlugField(help_text='Its name in commands and URLs; never changes.', unique=True)),
                ('name', models.CharField(max_length=100)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('algorithm', models.CharField(blank=True, help_text='Model trained for this workspace; empty uses ENCORE_MODEL_ALGORITHM.', max_length=40)),
                ('retrain_minutes', models.PositiveIntegerField(blank=True, help_text='Least time between two scheduled trainings; empty uses ENCORE_RETRAIN_MINUTES.', null=True, validators=[django.core.validators.MinValueValidator(1)])),
                ('quality_tolerance', models.FloatField(blank=True, help_text='How much worse (nDCG@10, relative) a new version may be and still activate; empty uses ENCORE_QUALITY_TOLERANCE.', null=True, validators=[django.core.validators.MinValueValidator(0.0), django.core.validators.MaxValueValidator(1.0)])),
                ('max_items', models.PositiveIntegerField(blank=True, help_text='Empty uses WORKSPACE_MAX_ITEMS.', null=True)),
                ('max_people', models.PositiveIntegerField(blank=True, help_text='Empty uses WORKSPACE_MAX_PEOPLE.', null=True)),
                ('max_genres', models.PositiveIntegerField(blank=True, help_text='Empty uses WORKSPACE_MAX_GENRES.', null=True)),
                ('max_events_per_day', models.PositiveIntegerField(blank=True, help_text='Ratings and events accepted per UTC day; empty uses WORKSPACE_MAX_EVENTS_PER_DAY.', null=True)),
                ('data_changed_at', models.DateTimeField(blank=True, editable=False, null=True)),
                ('staff', models.ManyToManyField(blank=True, help_text='Staff limited to the workspaces they are listed on; superusers see all.', related_name='staff_workspaces', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['slug'],
            },
        ),
        migrations.CreateModel(
            name='WorkspaceDailyUsage',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('day', models.DateField()),
                ('events', models.PositiveBigIntegerField(default=0)),
                ('workspace', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='daily_usage', to='core.workspace')),
            ],
            options={
                'ordering': ['-day'],
                'constraints': [models.UniqueConstraint(fields=('workspace', 'day'), name='usage_one_row_per_workspace_day')],
            },
        ),
        migrations.RunPython(default_workspace_create, migrations.RunPython.noop),
    ]
