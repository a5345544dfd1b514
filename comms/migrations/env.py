"""Alembic environment: runs migrations on the engine comms hands over."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

import comms.models  # noqa: F401  (registers every table on Base.metadata)
from comms.db import Base

engine: Engine | None = context.config.attributes.get("engine")
if engine is None:  # pragma: no cover - only when run through the alembic CLI
    from comms.config import Settings
    from comms.db import make_engine

    engine = make_engine(Settings.from_env().resolved_database_url)

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
