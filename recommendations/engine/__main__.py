import sys

from recommendations.engine.cli import main

sys.exit(main())
