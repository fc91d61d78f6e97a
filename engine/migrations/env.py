"""Alembic environment: the URL comes from the caller (engine.store.db.alembic_config), never from a file."""

from __future__ import annotations

from alembic import context
from sqlalchemy import pool

from engine.store.db import make_engine
from engine.store.models import Base

config = context.config
url = config.get_main_option("sqlalchemy.url")
assert url is not None

if context.is_offline_mode():
    context.configure(url=url, target_metadata=Base.metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    connectable = make_engine(url, poolclass=pool.NullPool)
    with connectable.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
