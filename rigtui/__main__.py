import sys

from rigtui.cli import main

sys.exit(main())
