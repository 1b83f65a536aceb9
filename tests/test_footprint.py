"""What a process loads just to start the app: the heavy writers wait until they are used (issue 9).

``flask audit-ledger`` must stay under 100 MB; fpdf2 and its fonts (~25 MB), rq and redis (~7 MB)
and XlsxWriter are imported where a certificate, a job or a spreadsheet is made, not at start.
"""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("fpdf", "fontTools", "uharfbuzz", "xlsxwriter", "rq", "redis")


def test_starting_the_app_loads_no_pdf_spreadsheet_or_queue_library(tmp_path):
    script = (
        "import sys\n"
        "from app import create_app\n"
        f"create_app({{'SQLALCHEMY_DATABASE_URI': 'sqlite:///{tmp_path}/x.db', 'SECRET_KEY': 'x'}})\n"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r})))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "AULA_ENV": "development", "AULA_INSTANCE_DIR": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"
