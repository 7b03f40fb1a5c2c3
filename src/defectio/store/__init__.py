"""The store: SQLAlchemy tables, Alembic migrations, the vault, and the one write path."""

from defectio.store.repo import Store, UnitOfWork, default_db_url

__all__ = ["Store", "UnitOfWork", "default_db_url"]
