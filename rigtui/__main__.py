import sys

from rigtui.cli import entry

sys.exit(entry())
