"""The key bar (ui/widgets/footer.py): the keys of the focused widget, as Textual's Footer shows them, rebuilt
when they change and only then; on a narrow terminal the most important keys, help always (Textual Pilot)."""

import torch  # noqa: F401  - imported up front, as the app's workers would, so presses stay fast
from textual.widgets import Footer, Select
from textual.widgets._footer import FooterKey

from sgd_tui.core.scenario.parse import load_scenario
from sgd_tui.ui.app import SgdApp
from sgd_tui.ui.session import session_from_scenario
from sgd_tui.ui.widgets.footer import KeyFooter, key_width


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
    async with app.run_test(size=(230, 40)) as pilot:  # wide enough for every key (narrower: see below)
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
        if {k.action for k in back} == {k.action for k in on_select}:
            assert back == on_select  # the same keys (space runs from a closed drop-down too): not rebuilt
        else:
            assert not any(k in on_select for k in back)


def bar(footer) -> list[tuple[str, str]]:
    """(key, description) of every key drawn on the bar, left to right, each wholly on screen."""
    width = footer.screen.size.width
    drawn = sorted((k for k in keys(footer) if k.region.width), key=lambda k: k.region.x)
    for a, b in zip(drawn, drawn[1:]):
        assert a.region.right <= b.region.x, (a.key_display, b.key_display)  # no key hides another
    assert all(k.region.right <= width for k in drawn)
    return [(k.key_display, k.description) for k in drawn]


async def test_help_open_and_save_are_on_the_bar_at_80_100_and_120_columns():
    """The least important keys drop first; ? (help) is the last key shown; what is shown fits unclipped."""
    app = SgdApp(session_from_scenario(load_scenario("optimizer-race")), timings=False)
    async with app.run_test(size=(80, 24)) as pilot:
        footer = app.screen.query_one(KeyFooter)
        shown = {}
        for width in (80, 100, 120):
            await pilot.resize_terminal(width, 24)
            for _ in range(40):
                await pilot.pause(0.05)
                if app.screen.size.width == width and footer.shown_plan() == footer.plan():
                    break
            drawn = bar(footer)
            names = [k for k, _ in drawn]
            shown[width] = set(names)
            assert names[-1] == "?" and dict(drawn)["?"] == "help", (width, drawn)
            assert {"space", "o", "w", "q", "s", "g", "m"} <= set(names), (width, drawn)
            assert sum(key_width(k, d) for k, d in drawn) <= width
        assert shown[80] <= shown[100] <= shown[120] and {"n", "b"} <= shown[120]
        await pilot.press("question_mark")  # the key it names opens the help
        await pilot.pause()
        assert type(app.screen).__name__ == "HelpScreen"
