"""The ``nianbao`` command-line interface (cli.py) and Datasette metadata.

The library lives in the top-level packages it drives: crawler/, pipelines/,
parsers/, archive/ and portal/.
"""

__version__ = "0.1.0"
