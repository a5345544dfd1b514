"""Ship the top-level templates/, static/ and content/ inside the wheel's package.

They stay at the repository's top level (where designers and officers find them)
and are copied into ``comms/`` when the wheel is built, beside the translations
and migrations; comms.config.shipped() finds them in either place.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
SHIPPED = ("templates", "static", "content")


class BuildWithSiteFiles(build_py):  # type: ignore[misc]
    """build_py that also copies the site's templates, static files and demo content."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:  # an editable install reads them from the checkout
            return
        for name in SHIPPED:
            target = Path(self.build_lib) / "comms" / name
            if target.exists():
                shutil.rmtree(target)
            shutil.copytree(
                ROOT / name,
                target,
                ignore=shutil.ignore_patterns("__pycache__", ".*"),
            )


setup(cmdclass={"build_py": BuildWithSiteFiles})
