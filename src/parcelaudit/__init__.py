"""ParcelAudit: compliance and audit engine for low-value e-commerce imports into the United States."""

__version__ = "0.1.0"
