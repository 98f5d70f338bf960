
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('api', '0001_initial'),
        ('core', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='clientuser',
            name='clientuser_unique_external_id',
        ),
        migrations.AddField(
            model_name='apiclient',
            name='workspace',
            field=models.ForeignKey(help_text='The only workspace this client sees and writes.', null=True, on_delete=django.db.models.deletion.CASCADE, related_name='api_clients', to='core.workspace'),
        ),
        migrations.AddField(
            model_name='clientuser',
            name='workspace',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE, related_name='client_users', to='core.workspace'),
        ),
        migrations.AlterField(
            model_name='clientuser',
            name='client',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='users', to='api.apiclient'),
        ),
        migrations.AddConstraint(
            model_name='clientuser',
            constraint=models.UniqueConstraint(fields=('workspace', 'external_id'), name='clientuser_unique_external_id_per_workspace'),
        ),
    ]
