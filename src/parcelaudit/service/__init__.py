"""The review workbench: a web service and browser UI where analysts clear holds and hits and auditors work.

`create_app(store_target, settings)` builds the FastAPI application; `parcelaudit serve` runs it. The rules
(roles, queues, decisions, four-eyes, the hash-chained log) live in this package's modules; its SQL lives in
parcelaudit.store.workbench.
"""

from parcelaudit.service.settings import ROLES, WorkbenchSettings, load_settings

__all__ = ["ROLES", "WorkbenchSettings", "create_app", "load_settings"]


def create_app(store_target, settings=None):
    """The workbench application over the store at store_target (see parcelaudit.service.app)."""
    from parcelaudit.service.app import create_app as _create

    return _create(store_target, settings)
