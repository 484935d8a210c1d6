"""The site registry: which report columns to crawl, read from YAML and checked.

    - name: 城中区人民政府
      start_urls: [http://www.example.gov.cn/zwgk/zfxxgknb/index.html]
      flavour: trs            # optional: trs | hanweb | gkmlpt | generic (detected when absent)
      agency: 城中区人民政府    # optional
      region: "630103"        # optional: administrative division code
      hosts: [xxgk.example.gov.cn]   # optional: other hosts of the same body, followed
      verified: false         # optional: nobody has fetched it from here yet
      notes: free text        # optional

The format, each key and what is refused: nianbao/sites/README.md.

Each entry is checked on its own: a bad one is refused with one line naming the file, the
line, the entry and the key (``sites.yaml:7: site 2 (城中区人民政府): flavor: unknown key; did
you mean flavour?``), and the others are kept. Names, and the column pages the start URLs
fetch, are unique across all the files read together: a page is crawled for one site (which
may list it once per fragment: gkmlpt's categories, ``/gkmlpt/index#2580`` and ``#2581``),
except that sites (bodies) may share a gkmlpt shell page by naming different categories.
``read_registries`` gives the sites and the problems (``nianbao check-sites``, and
``nianbao crawl``, which crawls the good entries and fails its run checks for the refused);
``add_entries`` refuses a file with any problem.

The modules: ``entries`` reads a file (UTF-8, YAML, each entry with its lines), ``checks``
checks the entries, ``adding`` adds entries to a file (``nianbao discover --out``); finding a
site's columns is ``crawler.discover``, which hosts belong to a site ``crawler.site_hosts``.
"""

from __future__ import annotations

from pathlib import Path

from .adding import add_entries, text_to_add_to
from .checks import KEYS, Registry, checked, url_problem
from .entries import RegistryError, file_text, text_entries

__all__ = ["KEYS", "Registry", "RegistryError", "add_entries", "read_registries",
           "text_to_add_to", "url_problem"]


def read_registries(paths, start_urls=()) -> Registry:
    """Read and check registry files as one registry: each entry on its own (a bad one is
    listed in ``problems`` and left out), names and column pages unique across the files.
    A file that cannot be read or parsed is one problem; the other files are still read.
    ``start_urls`` (``--start-url``): one more site, checked against the files' (``checked``)."""
    entries, problems = [], []
    read = set()
    for path in paths:
        if Path(path).resolve() in read:  # a file named twice (sites/*.yaml sites/demo.yaml) is read once
            continue
        read.add(Path(path).resolve())
        try:
            entries += text_entries(file_text(path), str(path))
        except RegistryError as exc:
            problems.append(str(exc))
    registry = checked(entries, start_urls)
    registry.problems[:0] = problems
    return registry
