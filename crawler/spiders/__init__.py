"""Spiders. ``reports`` walks the report columns of the sites it is given."""
