"""Every row has its workspace now (core 0002): the column becomes required."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('catalog', '0004_workspaces'),
        ('core', '0002_tenants'),
    ]

    operations = [
        migrations.AlterField(
            model_name='genre',
            name='workspace',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='genres', to='core.workspace'),
        ),
        migrations.AlterField(
            model_name='item',
            name='workspace',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='items', to='core.workspace'),
        ),
        migrations.AlterField(
            model_name='tag',
            name='workspace',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='tags', to='core.workspace'),
        ),
    ]
