import sys

from genai_client.cli import main

sys.exit(main())
