"""Rehearse: practice repairing a professional relationship with a colleague persona."""

__version__ = "0.1.0"
