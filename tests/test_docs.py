"""The project documents itself: README.md and docs/ stand alone, and nothing points outside the repository."""
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Spelled in two pieces so that this file does not match itself.
OUTSIDE = ("../" + "shared", "shared/" + "DESIGN")


def project_files():
    """Every file git tracks or would track (new files included, ignored ones not)."""
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"], cwd=ROOT,
                            check=True, capture_output=True).stdout.decode()
    return [ROOT / name for name in listed.split("\0") if name and (ROOT / name).is_file()]


def test_nothing_points_outside_the_repository():
    found = []
    for path in project_files():
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # images, fonts: not text
        found += [f"{path.relative_to(ROOT)}:{n}" for n, line in enumerate(text.splitlines(), 1)
                  if any(needle in line for needle in OUTSIDE)]
    assert found == []


def test_the_documents_are_there_and_link_each_other():
    readme = (ROOT / "README.md").read_text()
    for name in ("DESIGN.md", "SERVICES.md", "DATA_MODEL.md"):
        assert (ROOT / "docs" / name).is_file() and f"docs/{name}" in readme
    assert "MongoDB 8.0" in readme and "replica set" in readme


def test_services_md_lists_every_service_module():
    services = (ROOT / "docs" / "SERVICES.md").read_text()
    listed = set(re.findall(r"^\| `services/__init__` |^\| `(\w+)` \|", services, re.M)) - {""}
    on_disk = {path.stem for path in (ROOT / "webapp" / "services").glob("*.py")} - {"__init__"}
    assert listed == on_disk


def documented_entry_points():
    """(module, function) for every `module.function(` the documents name, and every function listed
    under a one-module heading of SERVICES.md (`### accounts`)."""
    modules = {path.stem for path in (ROOT / "webapp" / "services").glob("*.py")} - {"__init__"}
    found = set()
    for name in ("DESIGN.md", "SERVICES.md", "DATA_MODEL.md"):
        text = (ROOT / "docs" / name).read_text()
        found |= {(module, function) for module, function in re.findall(r"(?<![.\w])([a-z_]+)\.([a-z_]+)\(", text)
                  if module in modules}
    services = (ROOT / "docs" / "SERVICES.md").read_text()
    for module, body in re.findall(r"^### (\w+)\n```\n(.*?)```", services, re.M | re.S):
        found |= {(module, function) for function in re.findall(r"(?:^|, )([a-z_]+)\(", body, re.M)}
    return found


def test_every_documented_entry_point_exists():
    import importlib

    missing = [f"{module}.{function}" for module, function in sorted(documented_entry_points())
               if not hasattr(importlib.import_module(f"webapp.services.{module}"), function)]
    assert missing == []
