"""`python -m portal [port]`: serve the imitation portal on 127.0.0.1 until Ctrl-C."""

import sys

from .server import serve_forever

serve_forever(port=int(sys.argv[1]) if len(sys.argv) > 1 else 8000)
