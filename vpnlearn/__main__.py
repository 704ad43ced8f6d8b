import sys

from vpnlearn.cli import main

sys.exit(main())
