"""nianbao in Datasette: ``nianbao serve`` (serve.py) starts Datasette with nianbao's
metadata (nianbao/datasette_metadata.yaml), browsing views (views.py) and plugin
(plugin.py: sandboxed raw pages, server-side SVG charts, raw-page links)."""
