"""The ``experiments`` table (contract §4.1); "running" means ``stopped_on IS NULL``."""

import sqlalchemy as sa

from webmacs_sdk.db import UTCDateTime, key_columns, new_metadata, owner_column

metadata = new_metadata()

experiments = sa.Table(
    "experiments",
    metadata,
    *key_columns(),
    sa.Column("name", sa.String(255), nullable=False, unique=True),
    sa.Column("started_on", UTCDateTime, nullable=True, server_default=sa.func.now()),
    sa.Column("stopped_on", UTCDateTime, nullable=True),
    owner_column(),
)

#: Name of the partial unique index that allows at most one running experiment.
RUNNING_INDEX = "uq_experiments_running"
