import sys

from cvw.cli import main

sys.exit(main())
