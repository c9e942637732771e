"""The Textual app (imports nothing here, so `import sgd_tui.ui.series` stays light)."""
