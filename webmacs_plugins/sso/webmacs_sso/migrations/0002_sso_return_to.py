"""sso_logins.return_to: where a sign-in started by the web UI ends

Revision ID: sso_0002
Revises: sso_0001
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "sso_0002"
down_revision = "sso_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sso_logins") as batch:
        batch.add_column(sa.Column("return_to", sa.String(300)))


def downgrade() -> None:
    with op.batch_alter_table("sso_logins") as batch:
        batch.drop_column("return_to")
