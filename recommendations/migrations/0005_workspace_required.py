"""Every row has its workspace now (core 0002): the column becomes required."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0002_tenants'),
        ('recommendations', '0004_modelversion_workspace'),
    ]

    operations = [
        migrations.AlterField(
            model_name='modelversion',
            name='workspace',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='model_versions', to='core.workspace'),
        ),
    ]
