#!/usr/bin/env bash
# Set up everything, run the main job on the bundled data (the real seed report + the generated 示例数据 set)
# and serve the dashboard on http://localhost:${PORT:-8501}.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/setup.sh
.venv/bin/nianbao run
exec .venv/bin/nianbao dashboard --port "${PORT:-8501}"
