"""WebMACS controller: runs device drivers next to the hardware and streams their readings to the server."""

__version__ = "2.0.0"
