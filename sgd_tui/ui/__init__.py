"""The Textual app (imports nothing here, so importing one of its modules stays light)."""
