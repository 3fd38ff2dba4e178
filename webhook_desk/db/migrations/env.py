"""Alembic environment: the engine comes from the caller (webhook_desk.db.migrate)."""

from alembic import context

from webhook_desk.db.models import Base

config = context.config


def run_migrations() -> None:
    engine = config.attributes["engine"]
    with engine.begin() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        context.run_migrations()


run_migrations()
