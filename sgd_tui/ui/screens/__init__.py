"""Screens of the app: the main view and its modal dialogs."""
