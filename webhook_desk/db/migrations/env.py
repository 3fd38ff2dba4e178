"""Alembic environment: the engine comes from the caller (webhook_desk.db.migrate)."""

from alembic import context

from webhook_desk.db.models import Base

config = context.config


def run_migrations() -> None:
    engine = config.attributes["engine"]
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as connection:
        if sqlite:
            # Batch migrations copy a table and drop the old one; with foreign keys on, rows
            # that point at the old table (attempt.retried_attempt_id) make the drop fail.
            # The pragma only takes effect outside a transaction, hence before begin().
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        try:
            with connection.begin():
                context.configure(
                    connection=connection,
                    target_metadata=Base.metadata,
                    render_as_batch=sqlite,
                )
                context.run_migrations()
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()


run_migrations()
