"""One daily-scrum schedule per sprint: rows are keyed by the sprint, not by the name.

Before, a name shared by two projects' sprints moved one row between them; a sprint
left with more than one row keeps its newest.
"""

from django.db import migrations, models

KEEP_NEWEST_PER_SPRINT = """
DELETE FROM orchestration_dailyscrumschedule AS older
USING orchestration_dailyscrumschedule AS newer
WHERE older.sprint_id = newer.sprint_id
  AND (older.created_at, older.id) < (newer.created_at, newer.id)
"""


class Migration(migrations.Migration):
    dependencies = [
        ("orchestration", "0003_history_features_change_tracking"),
    ]

    operations = [
        migrations.RunSQL(KEEP_NEWEST_PER_SPRINT, reverse_sql=migrations.RunSQL.noop),
        migrations.AddConstraint(
            model_name="dailyscrumschedule",
            constraint=models.UniqueConstraint(fields=("sprint",), name="one_schedule_per_sprint"),
        ),
    ]
