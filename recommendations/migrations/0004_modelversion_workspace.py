
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0001_initial'),
        ('recommendations', '0003_artifact_checksum_and_broken'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='modelversion',
            name='modelversion_one_active',
        ),
        migrations.RemoveConstraint(
            model_name='modelversion',
            name='modelversion_one_training',
        ),
        migrations.AddField(
            model_name='modelversion',
            name='workspace',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE, related_name='model_versions', to='core.workspace'),
        ),
        migrations.AddConstraint(
            model_name='modelversion',
            constraint=models.UniqueConstraint(condition=models.Q(('status', 'active')), fields=('workspace', 'status'), name='modelversion_one_active_per_workspace'),
        ),
        migrations.AddConstraint(
            model_name='modelversion',
            constraint=models.UniqueConstraint(condition=models.Q(('status', 'training')), fields=('workspace', 'status'), name='modelversion_one_training_per_workspace'),
        ),
    ]
