"""`python -m posecut ...` runs the posecut command."""
import sys

from posecut.cli import main

sys.exit(main())
