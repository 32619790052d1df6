#!/usr/bin/env bash
# Set up everything (Python packages; Chromium and CJK fonts for the browser test; LibreOffice for legacy .doc;
# poppler's pdftotext for the fixed-width text variant and pdftoppm for scanning the dev PDFs; the OCR models come
# inside the rapidocr wheel, nothing else to install) and run every test: lint and types, the fast tier, the browser
# tier. With arguments, only the tests they name.
set -euo pipefail
cd "$(dirname "$0")"
# chromium + CJK fonts for the browser test (and WenQuanYi Micro Hei, a TrueType CJK font the briefing PDF embeds); LibreOffice (no GUI) for the legacy .doc round trip; pdftotext (with the
# CJK character maps of poppler-data) renders the generated PDFs as `pdftotext -layout` text
if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi "noto sans cjk" \
   || [ ! -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] \
   || ! command -v soffice >/dev/null 2>&1 || ! command -v pdftotext >/dev/null 2>&1 \
   || [ ! -d /usr/share/poppler/cMap ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium fonts-noto-cjk fonts-wqy-microhei poppler-utils poppler-data >/dev/null
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends libreoffice-writer-nogui >/dev/null
fi
NIANBAO_LOCK=requirements-dev.lock source scripts/setup.sh
if [ "$#" -gt 0 ]; then  # arguments (a file, -k …): just those tests
  exec .venv/bin/python -m pytest -q "$@"
fi
# Lint and types first (seconds), then the fast tier, then the browser tier.
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/basedpyright
.venv/bin/python -m pytest -q -m "not browser"
.venv/bin/python -m pytest -q -m browser
