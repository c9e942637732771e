"""Snapshots of the main views at fixed sizes, every run finished (or paused) before the picture.

The views are the ones ``python -m sgd_tui.ui.screenshots`` draws. Update after an intended change with
``pytest tests/test_app_snapshots.py --snapshot-update`` and look at the report before committing.
"""

import pytest
import torch  # noqa: F401  - imported up front, as the app's workers would

from sgd_tui.ui.screenshots import VIEWS, show_help

BY_NAME = {v.name: v for v in VIEWS}


@pytest.mark.parametrize("name", ["race", "step-mode", "ssh-80x24", "present"])
def test_main_views(snap_compare, name):
    view = BY_NAME[name]
    assert snap_compare(view.make(), terminal_size=view.size, run_before=view.keys)


def test_help_screen(snap_compare):
    view = BY_NAME["step-mode"]
    assert snap_compare(view.make(), terminal_size=(100, 34), run_before=show_help)
