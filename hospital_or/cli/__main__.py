import sys

from hospital_or.cli import main

sys.exit(main())
