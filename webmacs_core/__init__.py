"""The small WebMACS core: app factory, plugin manager, hook catalogue, settings, database, ingestion."""

from webmacs_core.app import create_app
from webmacs_core.settings import Settings

__version__ = "2.0.0"
__all__ = ["Settings", "__version__", "create_app"]
