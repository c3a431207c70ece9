"""The ``experiments`` table (contract §4.1); "running" means ``stopped_on IS NULL``."""

import sqlalchemy as sa

from webmacs_sdk.db import UTCDateTime, new_metadata

metadata = new_metadata()

experiments = sa.Table(
    "experiments",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("public_id", sa.String(100), nullable=False, unique=True),
    sa.Column("name", sa.String(255), nullable=False, unique=True),
    sa.Column("started_on", UTCDateTime, nullable=True, server_default=sa.func.now()),
    sa.Column("stopped_on", UTCDateTime, nullable=True),
    sa.Column(
        "user_public_id",
        sa.String(100),
        sa.ForeignKey("users.public_id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
)

#: Name of the partial unique index that allows at most one running experiment.
RUNNING_INDEX = "uq_experiments_running"
