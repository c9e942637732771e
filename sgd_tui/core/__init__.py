"""The computation: objectives, optimizers, the run loop and scenario files.

Never imports textual, rich or plotext (tests/test_import_hygiene.py enforces it), and imports torch
only when a run is built, so listing and validation stay fast.
"""
