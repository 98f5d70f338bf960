"""Every row has its workspace now (core 0002): the column becomes required."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('api', '0002_workspaces'),
        ('core', '0002_tenants'),
    ]

    operations = [
        migrations.AlterField(
            model_name='apiclient',
            name='workspace',
            field=models.ForeignKey(help_text='The only workspace this client sees and writes.', on_delete=django.db.models.deletion.CASCADE, related_name='api_clients', to='core.workspace'),
        ),
        migrations.AlterField(
            model_name='clientuser',
            name='workspace',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='client_users', to='core.workspace'),
        ),
    ]
