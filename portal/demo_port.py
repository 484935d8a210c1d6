"""The demo portal's port, remembered in the data directory.

A second ``nianbao demo`` into the same DATA serves the portal on the port the first one
used, so its crawl asks for the same URLs again and shows what a nightly run does
(conditional requests, 304s, no report archived twice) rather than archiving every page
again under a new address. When that port is taken now, the portal serves on a free one
and the caller is told why. A demo archive from before nianbao kept the port's file has its
port in the URLs it archived: the portal's column fetched last.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from urllib.parse import urlsplit

from archive import DATABASE_NAME
from archive.read_only import connect_read_only

from .server import DemoPortal
from .site import START_PATH, Site

PORT_FILE = "demo-portal.port"


def remembered_port(data_dir) -> int | None:
    try:
        port = int((Path(data_dir) / PORT_FILE).read_text().strip())
    except (OSError, ValueError):
        port = _archived_port(data_dir)
        if port is None:
            return None
    return port if 0 < port < 65536 else None


def _archived_port(data_dir) -> int | None:
    """The port in the newest URL of the demo portal's column that DATA_DIR's archive holds."""
    path = Path(data_dir) / DATABASE_NAME
    if not path.is_file():
        return None
    try:
        with closing(connect_read_only(path)) as db:
            row = db.execute("select url from snapshots where url like ? order by id desc limit 1",
                             [f"http://127.0.0.1:%{START_PATH}"]).fetchone()
        return urlsplit(row[0]).port if row else None
    except (sqlite3.Error, ValueError):  # not an archive, or not one of the demo's
        return None


def remember_port(data_dir, portal: DemoPortal) -> None:
    path = Path(data_dir) / PORT_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{portal.port}\n")


def start_on_remembered_port(data_dir, site: Site | None = None) -> tuple[DemoPortal, str | None]:
    """The demo portal, started on the port remembered in DATA_DIR if it is free, else on a
    free port; with a note when the remembered port could not be had."""
    port = remembered_port(data_dir)
    if port is not None:
        try:
            return DemoPortal(site, port=port).start(), None
        except OSError as exc:
            portal = DemoPortal(site).start()
            return portal, (f"port {port}, where the last demo into {data_dir} served, is taken now "
                            f"({exc.strerror or exc}): serving on port {portal.port} instead, so this crawl "
                            "fetches every page again under a new address")
    return DemoPortal(site).start(), None
