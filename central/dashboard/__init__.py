"""The desk dashboard served by central: live desk view, ticket board, visitors on site,
registers, statistics, commands and login (see routes.py)."""
from .routes import dashboard_router

__all__ = ["dashboard_router"]
