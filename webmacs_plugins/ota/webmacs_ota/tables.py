"""The ``firmware_updates`` table (contract §4): one row per version, with its update state; and
``ota_controllers``, the controllers' versions and update reports."""

import sqlalchemy as sa

from webmacs_sdk.db import UTCDateTime, key_columns, new_metadata

metadata = new_metadata()

firmware_updates = sa.Table(
    "firmware_updates",
    metadata,
    *key_columns(),
    sa.Column("version", sa.String(50), nullable=False, unique=True),
    sa.Column("changelog", sa.Text),
    sa.Column("file_path", sa.String(500)),
    sa.Column("file_hash_sha256", sa.String(64)),
    sa.Column("file_size_bytes", sa.BigInteger),
    sa.Column("status", sa.String(20), nullable=False, index=True),
    sa.Column("error_message", sa.Text),
    sa.Column("created_on", UTCDateTime, nullable=False),
    sa.Column("started_on", UTCDateTime),
    sa.Column("completed_on", UTCDateTime),
    # BEAT (#27): the creator may be deleted; the record stays with no owner.
    sa.Column("user_public_id", sa.String(100), sa.ForeignKey("users.public_id", ondelete="SET NULL"), nullable=True),
    #: Comma-separated targets of the bundle (``server``, ``controller``); NULL for a record without one.
    sa.Column("targets", sa.String(50)),
)

#: One row per controller that asked for updates: what it runs and what it last reported.
ota_controllers = sa.Table(
    "ota_controllers",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("controller_id", sa.String(100), nullable=False, unique=True),
    sa.Column("user_public_id", sa.String(100), sa.ForeignKey("users.public_id", ondelete="SET NULL"), nullable=True),
    sa.Column("version", sa.String(50), nullable=False),
    sa.Column("state", sa.String(20), nullable=False),
    sa.Column("update_version", sa.String(50)),
    sa.Column("message", sa.Text),
    #: SHA-256 of the last bundle this controller could not take (refused, failed, rolled back): not offered
    #: to it again (a new bundle of the same version is).
    sa.Column("failed_sha256", sa.String(64)),
    sa.Column("last_seen", UTCDateTime, nullable=False),
)
