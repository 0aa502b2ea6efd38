"""The repository layout keeps the standard library reachable."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_import_platform_from_repo_root_is_the_standard_library():
    # platform/ holds the portal's source but must not shadow `import platform`.
    code = "import platform, sys; print(platform.__file__); print(platform.python_version())"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, check=True)
    module_file, version = result.stdout.split()
    assert not module_file.startswith(str(ROOT)), module_file
    assert version == ".".join(map(str, sys.version_info[:3]))
    assert not (ROOT / "platform" / "__init__.py").exists()
