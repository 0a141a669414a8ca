"""Labeled data and runners that drive the app's own public functions."""
