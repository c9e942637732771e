"""The key bar (ui/widgets/footer.py): the keys of the focused widget, as Textual's Footer shows them, rebuilt
when they change and only then (Textual Pilot, by keys)."""

import torch  # noqa: F401  - imported up front, as the app's workers would, so presses stay fast
from textual.widgets import Footer, Select
from textual.widgets._footer import FooterKey

from sgd_tui.core.scenario.parse import load_scenario
from sgd_tui.ui.app import SgdApp
from sgd_tui.ui.session import session_from_scenario
from sgd_tui.ui.widgets.footer import KeyFooter


def keys(footer) -> list[FooterKey]:
    return list(footer.query(FooterKey))


def expected_actions(screen) -> set[str]:
    """The actions Textual's Footer shows for the screen's focus: its shown bindings and the palette's key."""
    active = screen.active_bindings
    shown = {b.action for _, b, _, _ in active.values() if b.show}
    palette = active.get(screen.app.COMMAND_PALETTE_BINDING)
    return shown | ({palette[1].action} if palette and screen.app.ENABLE_COMMAND_PALETTE else set())


async def test_keys_follow_the_focus_and_are_rebuilt_only_when_they_change():
    app = SgdApp(session_from_scenario(load_scenario("regularization")), timings=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        footer = screen.query_one(Footer)
        assert isinstance(footer, KeyFooter)
        await pilot.pause()
        on_table = keys(footer)
        assert {k.action for k in on_table} == expected_actions(screen)

        if not screen.has_class("-setup-open"):
            await pilot.press("s")
        first = screen.query_one("#objective", Select)
        first.focus()
        await pilot.pause()
        on_select = keys(footer)
        assert {k.action for k in on_select} == expected_actions(screen)
        # space on a closed drop-down runs / pauses (Enter or ↓ opens it): the key bar keeps it
        assert "run_pause" in {k.action for k in on_table} and "run_pause" in {k.action for k in on_select}

        second = screen.query_one("#setup #f-regularization", Select)
        second.focus()  # another Select, the same keys: the same key widgets, not rebuilt
        await pilot.pause()
        assert screen.focused is second
        assert keys(footer) == on_select and all(k.is_attached for k in on_select)

        await pilot.press("escape")  # back to the runs table: its keys again
        await pilot.pause()
        assert screen.focused is screen.table
        back = keys(footer)
        assert {k.action for k in back} == {k.action for k in on_table} == expected_actions(screen)
        assert not any(k in on_select for k in back)
