"""Alembic environment for Flask-Migrate: runs against the application's engine."""

import logging
import warnings
from logging.config import fileConfig

from alembic import context
from flask import current_app

from booking.models.types import UTCDateTime

config = context.config

# Keep the application's loggers (tests and the app configure their own).
fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")


def get_engine():
    return current_app.extensions["migrate"].db.engine


def get_engine_url():
    return get_engine().url.render_as_string(hide_password=False).replace("%", "%%")


config.set_main_option("sqlalchemy.url", get_engine_url())
target_db = current_app.extensions["migrate"].db


def get_metadata():
    return target_db.metadata


# Indexes on expressions (an address in canonical form), made by their migrations alone:
# autogenerate cannot reflect them on SQLite nor compare them with a model reliably.
EXPRESSION_INDEXES = {"ix_bookings_contact_email_person", "ix_patients_email_person"}


def include_object(obj, name, type_, reflected, compare_to):
    return not (type_ == "index" and name in EXPRESSION_INDEXES)


def render_item(type_, obj, autogen_context):
    """Write our column types as plain SQLAlchemy ones, so revisions never import app code."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run_migrations_offline():
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=get_metadata(),
        literal_binds=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    def process_revision_directives(context, revision, directives):
        if getattr(config.cmd_opts, "autogenerate", False):
            script = directives[0]
            if script.upgrade_ops.is_empty():
                directives[:] = []
                logger.info("No changes in schema detected.")

    conf_args = dict(current_app.extensions["migrate"].configure_args)
    conf_args.setdefault("process_revision_directives", process_revision_directives)
    conf_args.setdefault("render_item", render_item)
    conf_args.setdefault("compare_type", True)
    conf_args.setdefault("include_object", include_object)

    connectable = get_engine()
    with connectable.connect() as connection:
        if connection.dialect.name == "postgresql":
            # The application's per-request bounds (statement and lock timeouts) are not
            # meant for a schema change, which may rewrite a table and wait for its lock.
            connection.exec_driver_sql("SET statement_timeout = 0")
            connection.exec_driver_sql("SET lock_timeout = 0")
            connection.commit()
        context.configure(connection=connection, target_metadata=get_metadata(), **conf_args)
        with context.begin_transaction(), warnings.catch_warnings():
            warnings.filterwarnings(
                "ignore", message="Skipped unsupported reflection of expression-based index"
            )
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
