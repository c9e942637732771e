"""The errors of the core: input a person can fix, each with a message saying what is allowed.

A leaf module (no torch, no other core import), so every layer -- the registries, the data files, the
engine, the CLI's fast paths -- raises and catches them without importing what raises them:

* :class:`ParamError`     a value one registry Param does not allow;
* :class:`ScenarioError`  a scenario file that cannot run; its :class:`ScenarioIssue` list names the file,
                          the line, the key path and what is allowed, for every problem at once;
* :class:`SetupError`     a run that cannot start as specified (exit status 2 in the CLI);
* :class:`DataError`      a SetupError: the FashionMNIST files are missing, unreadable or malformed;
* :class:`DeviceError`    the requested device does not exist on this machine.

Diverging runs are results (a run's status), never errors.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ParamError", "ScenarioIssue", "ScenarioError", "SetupError", "DataError", "DeviceError"]


class ParamError(ValueError):
    """A value that a Param does not allow. The message says what is allowed."""


@dataclass
class ScenarioIssue:
    """One problem in a scenario file."""

    file: str
    line: int | None
    key: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.key}: {self.message}" if self.key else f"{where}: {self.message}"


class ScenarioError(Exception):
    """A scenario that cannot run; ``issues`` lists every problem found."""

    def __init__(self, issues: list[ScenarioIssue]):
        self.issues = list(issues)
        super().__init__(self.issues)

    def __str__(self) -> str:  # from the issues as they are now (with_overrides rewrites them)
        return "\n".join(str(i) for i in self.issues)


class SetupError(ValueError):
    """A run that cannot start as specified; the message says why and what would work."""


class DataError(SetupError):
    """The FashionMNIST files are missing, unreadable or malformed and cannot be fetched."""


class DeviceError(ValueError):
    """The requested device does not exist on this machine."""
