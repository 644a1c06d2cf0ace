"""``python -m infusion_tui.sandbox --port N``: see server.serve_main."""

import sys

from .server import serve_main

if __name__ == "__main__":
    sys.exit(serve_main(sys.argv[1:]))
