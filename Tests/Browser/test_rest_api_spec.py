"""The REST API and its own spec, docs/openapi.yaml, agree: schemathesis (from PyPI) runs every check it has,
the stateful phase included (a session created by a POST is read back through the spec's OpenAPI links),
against the real `baton` on loopback. Not a browser test, but it needs the same live server."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import Demo

SPEC = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"
CONFIG = Path(__file__).resolve().parent / "schemathesis.toml"
# A fixed seed keeps the suite repeatable; BATON_SCHEMATHESIS_SEED=random explores new inputs (do, after changing
# the API or its spec), or names another seed to replay a failure.
SEED = os.environ.get("BATON_SCHEMATHESIS_SEED", "20261203")


# The demo with a REST API key (set as the config's environment override), so that the handovers API and the REST
# channel's `userId` addressing answer more than 403; schemathesis sends the key, and checks that calls without it
# are refused.
API_KEY = "schemathesis-api-key-0123456789"


@pytest.fixture
def keyed_demo(workdir):
    d = Demo(workdir, env={"BATON_ENDPOINTS_DEMO_CHANNELS_REST_API_KEY": API_KEY})
    yield d
    d.stop()


def test_the_rest_api_answers_as_its_openapi_spec_says(keyed_demo):
    schemathesis = Path(sys.executable).parent / "schemathesis"
    result = subprocess.run(
        [str(schemathesis), "--config-file", str(CONFIG), "run", str(SPEC), "--url", keyed_demo.base, "--header", f"Authorization: Bearer {API_KEY}",
         "--checks", "all", "--max-examples", "30",
         "--phases", "examples,coverage,fuzzing,stateful", "--no-color"] + ([] if SEED == "random" else ["--seed", SEED]),
        capture_output=True, text=True, timeout=600)
    # The report ends with the seed, so a failure can be replayed with --seed.
    assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-2000:]
