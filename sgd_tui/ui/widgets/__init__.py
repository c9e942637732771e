"""Widgets of the Textual app, one module each (nothing imported here)."""
