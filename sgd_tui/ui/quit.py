"""Quitting at once: ``q`` ends the process within 0.5 s whatever is running.

Textual's own exit unmounts every widget and joins its input thread, which waits out up to two 0.1 s
``select`` timeouts (measured 0.2 s of the 0.45 s a loaded machine took); the interpreter's teardown with
torch loaded took 2-3 s more. When the app runs in a real terminal (started by ``run_app``), :func:`hard_exit`
restores the terminal as Textual's Linux driver does when it stops (input modes, alternate screen, cursor,
the saved tty attributes), flushes the output and ends the process with ``os._exit``. The app writes files
only when asked (``w``), synchronously, so nothing is lost. Anywhere else (tests, other drivers) it
returns and the caller exits the ordinary way.
"""

from __future__ import annotations

import os
import signal
import termios

__all__ = ["hard_exit"]


def hard_exit(app, code: int = 0) -> None:
    """End the process now if ``app`` runs in a real Linux terminal and asked for it; else return."""
    if not getattr(app, "hard_exit", False):
        return
    try:

        from textual.drivers.linux_driver import LinuxDriver  # lazy: textual
    except ImportError:  # not a POSIX terminal
        return
    driver = getattr(app, "_driver", None)
    if not isinstance(driver, LinuxDriver):
        return
    try:
        driver.exit_event.set()  # the input thread ends by itself; it is not waited for
        signal.signal(signal.SIGWINCH, signal.SIG_DFL)
        driver._disable_mouse_support()
        driver._disable_bracketed_paste()
        driver._enable_line_wrap()
        driver._disable_in_band_window_resize()
        if driver.attrs_before is not None:
            termios.tcsetattr(driver.fileno, termios.TCSANOW, driver.attrs_before)
        driver.write("\x1b[<u")  # Kitty keyboard protocol off, before leaving the alternate screen
        driver.write("\x1b[?1049l\x1b[?25h\x1b[?1004l")  # main screen, cursor shown, no focus events
        driver.flush()
        driver.close()  # the writer thread writes what is queued, then ends
    except Exception:  # noqa: BLE001 - a driver unlike the one measured: exit the ordinary way
        return
    os._exit(code)
