"""Entry script of the frozen MedSettle (PyInstaller): the same `medsettle` command as the wheel's."""

import sys

from client.cli import main

if __name__ == "__main__":
    sys.exit(main())
