"""The images' pinned requirement files stay in step with uv.lock (no Docker needed)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REQUIREMENTS = ROOT / "docker" / "requirements"


def test_exported_requirements_match_the_lock() -> None:
    """`scripts/build-images --check-requirements` re-exports uv.lock and finds no difference."""
    proc = subprocess.run(
        [str(ROOT / "scripts" / "build-images"), "--check-requirements"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "UV_PYTHON_DOWNLOADS": "never"},
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "in sync with uv.lock" in proc.stderr


def test_every_requirement_is_pinned_with_hashes() -> None:
    """Each requirement pins one version and carries sha256 hashes (for --require-hashes)."""
    for path in sorted(REQUIREMENTS.glob("*.txt")):
        text = path.read_text()
        entries = [line for line in text.splitlines() if line and not line.startswith((" ", "#"))]
        assert entries, path
        for entry in entries:
            assert "==" in entry and entry.endswith("\\"), f"{path.name}: {entry}"
        assert text.count("--hash=sha256:") >= len(entries), path.name
