"""nianbao in Datasette: ``nianbao serve`` starts Datasette with nianbao's metadata
(nianbao/datasette_metadata.yaml) and plugin. The tables and views it shows, report_list
included, are the schema's (archive/schema.py, archive/research_schema.py).

- serve.py     ``serve``: registers the plugin, runs Datasette's own ``serve``, closes its
               connections once it stops
- plugin.py    the plugin's hooks: the routes ``/-/raw/<id>`` and ``/-/charts`` (the page:
               templates/nianbao_charts.html), raw-page links in cells, the menu, the search query
- raw_page.py  the answer of ``/-/raw/<snapshot_id>``: a stored page as captured, sandboxed
- charts.py    the charts' SQL and their inline SVG
"""
