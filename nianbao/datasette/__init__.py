"""nianbao in Datasette: ``nianbao serve`` (serve.py) starts Datasette with nianbao's
metadata (nianbao/datasette_metadata.yaml) and plugin (plugin.py: sandboxed raw pages,
server-side SVG charts, raw-page links). The tables and views it shows, report_list
included, are the schema's (archive/schema.py, archive/research_schema.py)."""
