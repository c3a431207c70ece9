"""plugin_instances.status may be 'installing' (a controller fetching the instance's driver)

Revision ID: plugins_0002
Revises: plugins_0001
Create Date: 2026-12-02
"""

from alembic import op

revision = "plugins_0002"
down_revision = "plugins_0001"
branch_labels = None
depends_on = None

_BEFORE = "status IN ('inactive', 'connected', 'error', 'demo')"
_AFTER = "status IN ('inactive', 'connected', 'error', 'demo', 'installing')"


def _replace(check: str) -> None:
    # Batch mode: SQLite cannot alter a CHECK constraint in place, so the table is rebuilt there.
    with op.batch_alter_table("plugin_instances") as batch:
        batch.drop_constraint("ck_plugin_instances_status", type_="check")
        batch.create_check_constraint("ck_plugin_instances_status", check)


def upgrade() -> None:
    _replace(_AFTER)


def downgrade() -> None:
    op.execute("UPDATE plugin_instances SET status = 'inactive' WHERE status = 'installing'")
    _replace(_BEFORE)
