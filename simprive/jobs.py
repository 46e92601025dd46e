"""A multirun's jobs as simprive's command line sees them: the overrides that decide a job's
configuration, and the jobs it has already composed and checked before Hydra started (so
simprive's sweeper, ``hydra_plugins.simprive_sweeper``, need not compose them again)."""

from __future__ import annotations

__all__ = ["checked_jobs", "task_overrides"]

# filled by simprive.cli.main, read by the sweeper, in the one process that runs them both
checked_jobs: list[list[str]] = []


def task_overrides(overrides) -> list[str]:
    """The overrides that decide a job's configuration: all but Hydra's own settings, except
    the search path, which decides what composes."""
    return [o for o in overrides if not o.lstrip("+~").startswith("hydra") or o.lstrip("+").startswith("hydra.searchpath")]
