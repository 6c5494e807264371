"""The `parcelaudit` command line: parses arguments, calls the library, prints results and errors."""

from __future__ import annotations

import sys

import typer

from parcelaudit.commands.common import print_error
from parcelaudit.errors import ParcelAuditError

app = typer.Typer(
    name="parcelaudit",
    help="Compliance and audit engine for low-value e-commerce imports into the United States.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _register_commands() -> None:
    # One line per command module; each module owns one area of the CLI.
    from parcelaudit.commands import audit as audit_commands
    from parcelaudit.commands import check as check_commands
    from parcelaudit.commands import data as data_commands
    from parcelaudit.commands import duty as duty_commands
    from parcelaudit.commands import export as export_commands
    from parcelaudit.commands import origin as origin_commands
    from parcelaudit.commands import screening as screening_commands
    from parcelaudit.commands import service as service_commands
    from parcelaudit.commands import store as store_commands
    from parcelaudit.commands import trace as trace_commands

    for module in (
        audit_commands,
        check_commands,
        data_commands,
        duty_commands,
        export_commands,
        origin_commands,
        screening_commands,
        store_commands,
        service_commands,
        trace_commands,
    ):
        module.register(app)


_register_commands()


def main() -> None:
    """Entry point: run the app; a user error prints one line and exits 2, without a traceback."""
    try:
        app()
    except ParcelAuditError as error:
        print_error(error)
        sys.exit(2)
    except Exception as error:
        # A storage fault in any command (full disk, corrupt file, WAL not writable) is one line too.
        from parcelaudit.store import storage_failure

        failure = storage_failure(error)
        if failure is None:
            raise
        print_error(failure)
        sys.exit(2)


if __name__ == "__main__":
    main()
