"""Password hashing cost: the production profile, and the tests' cheaper one."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from argon2 import PasswordHasher, profiles

from comms.admin import auth

REPO = Path(__file__).resolve().parents[2]
RFC_9106_LOW_MEMORY = "$argon2id$v=19$m=65536,t=3,p=4$"

BUILD_AND_HASH = """
import sys
from pathlib import Path
from comms import create_app
from comms.admin import auth
from comms.config import Settings

folder = Path(sys.argv[1])
create_app(Settings(instance_path=folder, media_dir=folder / "media", testing=True))
print(auth.hash_password("correct horse battery"))
"""


def test_an_app_built_with_testing_on_still_hashes_with_the_rfc_profile(tmp_path):
    """No production switch lowers the cost; only the tests' fixture does."""
    done = subprocess.run(
        [sys.executable, "-c", BUILD_AND_HASH, str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert done.stdout.strip().startswith(RFC_9106_LOW_MEMORY)


def test_the_fixture_hashes_cheaply_and_verifies_either_profile():
    cheap = auth.hash_password("correct horse battery")
    assert cheap.startswith("$argon2id$v=19$m=8,t=1,p=1$")
    assert auth.SLOWDOWN_STEP < 0.1
    # A hash made with the production profile still verifies under the fixture.
    rfc = PasswordHasher.from_parameters(profiles.RFC_9106_LOW_MEMORY)
    stored = rfc.hash("correct horse battery")
    assert auth.hasher().verify(stored, "correct horse battery")
