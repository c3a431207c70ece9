"""emails and usernames unique regardless of case

Revision ID: users_0002
Revises: users_0001
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from webmacs_sdk.errors import WebmacsError

revision = "users_0002"
down_revision = "users_0001"
branch_labels = None
depends_on = None

_COLUMNS = ("email", "username")


def upgrade() -> None:
    conn = op.get_bind()
    clashes = []
    for column in _COLUMNS:
        rows = conn.execute(sa.text(
            f"SELECT lower({column}) AS folded, count(*) AS n FROM users GROUP BY lower({column}) HAVING count(*) > 1"
        )).all()
        clashes += [f"{column} {row.folded!r} ({row.n} accounts)" for row in rows]
    if clashes:
        # Merging or renaming accounts is the operator's decision, not a migration's; the command
        # line shows this message in one line.
        raise WebmacsError(
            "users that differ only in case must be renamed before this upgrade: " + "; ".join(clashes)
        )
    for column in _COLUMNS:
        op.create_index(f"uq_users_{column}_lower", "users", [sa.text(f"lower({column})")], unique=True)


def downgrade() -> None:
    for column in _COLUMNS:
        op.drop_index(f"uq_users_{column}_lower", table_name="users")
