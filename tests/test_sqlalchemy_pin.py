"""history/driver_reads.py leans on two private SQLAlchemy parts; these fail loudly when the
installed SQLAlchemy is not the minor version they were checked on, or the parts are gone."""

import re
import tomllib
from pathlib import Path

import sqlalchemy
from sqlalchemy import select

from webhook_desk.db.models import Delivery
from webhook_desk.history import driver_reads

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def test_the_installed_sqlalchemy_is_the_minor_version_driver_reads_was_checked_on():
    installed = ".".join(sqlalchemy.__version__.split(".")[:2])
    assert installed == driver_reads.SQLALCHEMY_MINOR, (
        f"SQLAlchemy {sqlalchemy.__version__} is installed, but history/driver_reads.py's use of "
        f"_compile_w_cache and _bind_processors was checked on {driver_reads.SQLALCHEMY_MINOR} "
        "only: re-check them (benchmarks/history.py), then move SQLALCHEMY_MINOR and the pin."
    )


def test_pyproject_pins_sqlalchemy_to_that_minor_version():
    dependencies = tomllib.loads(PYPROJECT.read_text())["project"]["dependencies"]
    [pin] = [d for d in dependencies if d.lower().startswith("sqlalchemy")]
    major, minor = map(int, driver_reads.SQLALCHEMY_MINOR.split("."))
    assert re.sub(r"\s", "", pin) == f"SQLAlchemy>={major}.{minor},<{major}.{minor + 1}"


def test_the_private_parts_driver_reads_uses_are_there(any_db):
    with any_db.session() as session:
        query = select(Delivery.id).where(Delivery.status == "pending").limit(5)
        sql, params = driver_reads.driver_statement(session.connection(), query)
        assert "FROM delivery" in sql
        assert "pending" in (params.values() if isinstance(params, dict) else params)
        assert driver_reads.driver_rows(session, query) == []
