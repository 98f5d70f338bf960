"""Every row has its workspace now (core 0002): the column becomes required."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0002_profile_workspace'),
        ('core', '0002_tenants'),
    ]

    operations = [
        migrations.AlterField(
            model_name='profile',
            name='workspace',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='profiles', to='core.workspace'),
        ),
    ]
