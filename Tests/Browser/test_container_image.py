"""The container image: the Dockerfile's runtime stage built with podman and run, alone and as docker-compose.yml's
`baton-setup` and `baton` services run it against Chatwoot (the stand-in) and PostgreSQL.

Not a browser test: it lives here for the harness it shares (processes, free ports, the stand-in, the agent). No
registry is reachable from the test machines, so the image is built from what is here: the runtime stage on a
Debian base made by debootstrap (scripts/debian-base-image), and Baton's binary from this suite's own build
in place of the Dockerfile's Swift build stage: scripts/build-image, which makes the release image the same way."""

import json
import os
import re
import subprocess
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
import yaml

from conftest import BUILD, ROOT, Process, free_port
from harness import Agent, wait_until

PODMAN = str(ROOT / "scripts" / "podman")


def podman(*args, check=True, timeout=600):
    result = subprocess.run([PODMAN, *map(str, args)], capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        pytest.fail(f"podman {' '.join(map(str, args))} exited with {result.returncode}:\n{result.stdout}\n{result.stderr}")
    return result


def http(url, body=None, timeout=10):
    """(status, text) of a GET, or a POST of `body` as JSON; (None, reason) when nothing answers."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"} if data else {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
    except OSError as error:
        return None, str(error)


def wait_ready(base, container, timeout=60):
    def ready():
        state = podman("inspect", "--format", "{{.State.Status}}", container).stdout.strip()
        if state not in ("running", "created", "configured"):
            pytest.fail(f"the container is {state}:\n{podman('logs', container, check=False).stdout}")
        return http(f"{base}/readyz")[0] == 200
    wait_until(ready, timeout, f"{base}/readyz")


@pytest.fixture(scope="module")
def image():
    tag = f"localhost/baton-test:{uuid.uuid4().hex[:12]}"
    built = subprocess.run([ROOT / "scripts" / "build-image", "--bin-path", BUILD, tag], capture_output=True, text=True)
    assert built.returncode == 0, built.stdout + built.stderr
    yield tag
    podman("rmi", "--force", tag, check=False)


@pytest.fixture
def containers():
    """Names of the containers and volumes a test made, removed afterwards whatever happened."""
    made = {"containers": [], "volumes": []}
    yield made
    for name in made["containers"]:
        podman("rm", "--force", "--time", "0", name, check=False)
    for name in made["volumes"]:
        podman("volume", "rm", "--force", name, check=False)


def test_the_image_runs_baton_as_a_non_root_user_with_a_volume_and_a_health_check(image, containers):
    inspected = json.loads(podman("image", "inspect", image).stdout)[0]
    config = inspected["Config"]
    assert config["User"] == "baton:baton"
    assert "/var/lib/baton" in config["Volumes"]
    assert "8080/tcp" in config["ExposedPorts"]
    assert inspected["Healthcheck"]["Test"] == ["CMD", "baton", "health"]

    # With no config the image runs the demo, reachable from outside the container: the webchat and the console
    # of its Chatwoot stand-in.
    port, console_port = free_port(), free_port()
    name = f"baton-demo-{uuid.uuid4().hex[:8]}"
    containers["containers"].append(name)
    podman("run", "--detach", "--name", name, "--publish", f"127.0.0.1:{port}:8080", "--publish", f"127.0.0.1:{console_port}:3000", image)
    base = f"http://127.0.0.1:{port}"
    wait_ready(base, name)
    status, page = http(f"{base}/webchat/demo")
    assert status == 200 and "<html" in page.lower()
    status, answer = http(f"{base}/api/v1/endpoints/demo/messages", {"text": "Ada"})
    assert status == 200 and json.loads(answer)["messages"], answer
    status, console = http(f"http://127.0.0.1:{console_port}/console")
    assert status == 200 and "<html" in console.lower(), console

    assert podman("top", name, "user").stdout.split()[1:] == ["baton"]
    health = podman("healthcheck", "run", name, check=False)
    assert health.returncode == 0, health.stdout + health.stderr
    # The check says when Baton does not answer (a port nothing listens on stands for a Baton that is gone).
    unready = podman("exec", name, "baton", "health", "--url", "http://127.0.0.1:1/readyz", check=False)
    assert unready.returncode == 1 and "not ready" in unready.stdout, unready.stdout + unready.stderr
    # Small: beside Baton itself (/app) the image is its Debian base and a few packages, no caches.
    app = int(podman("exec", name, "du", "-sb", "/app").stdout.split()[0])
    assert inspected["Size"] - app < 150_000_000, f"{inspected['Size'] - app} bytes besides Baton"
    # The demo's data is on the volume, owned by Baton's user.
    listing = podman("exec", name, "ls", "-ln", "/var/lib/baton").stdout
    assert re.search(r"^-\S+\s+\d+\s+10001\s+10001\s+.*baton\.sqlite$", listing, re.MULTILINE), listing
    # A backup as docs/operations.md gives it, while Baton serves: on the volume, Baton's user's, with the session.
    backup = podman("exec", name, "baton", "backup", "--to", "/var/lib/baton/backups/", check=False)
    assert backup.returncode == 0 and "1 session(s)" in backup.stdout, backup.stdout + backup.stderr
    copies = podman("exec", name, "ls", "-ln", "/var/lib/baton/backups").stdout
    assert re.search(r"^-\S+\s+\d+\s+10001\s+10001\s+.*baton-\d{8}-\d{6}\.sqlite$", copies, re.MULTILINE), copies

    # Baton is PID 1, and SIGHUP reaches it as docs/operations.md gives it: the flows are read again, and it serves on.
    podman("kill", "--signal", "HUP", name)
    def logs():
        written = podman("logs", name, check=False)
        return written.stdout + written.stderr
    wait_until(lambda: "configuration reloaded" in logs(), 30, "the reload on SIGHUP")
    status, answer = http(f"{base}/api/v1/endpoints/demo/messages", {"text": "Grace"})
    assert status == 200 and json.loads(answer)["messages"], answer

    # It stops on SIGTERM by itself, well before podman would kill it.
    podman("stop", "--time", "20", name)
    state = json.loads(podman("inspect", name).stdout)[0]["State"]
    assert state["ExitCode"] == 0, podman("logs", name, check=False).stdout


def test_a_crash_leaves_every_threads_stack_with_function_names_in_the_log(image, containers):
    # Swift's backtracer is in the image (scripts/stage-image) and SWIFT_BACKTRACE points at it, so a crash leaves
    # more than its fatal error line. A SIGSEGV sent from outside stands for the crash.
    port = free_port()
    name = f"baton-crash-{uuid.uuid4().hex[:8]}"
    containers["containers"].append(name)
    podman("run", "--detach", "--name", name, "--publish", f"127.0.0.1:{port}:8080", image)
    wait_ready(f"http://127.0.0.1:{port}", name)
    podman("kill", "--signal", "SEGV", name)

    def log():
        logs = podman("logs", name, check=False)
        return logs.stdout + logs.stderr

    wait_until(lambda: "Backtrace took" in log(), 90, "the crash report")
    report = log()
    assert "*** Program crashed: Bad pointer dereference" in report, report
    assert 'Thread 0 "baton" crashed:' in report, report
    # Frames carry function names, not only addresses.
    assert re.search(r"0x[0-9a-f]{16} [A-Za-z_$][^ ]* \+ \d+ in \S+", report), report


def compose_service(name):
    """A service of docker-compose.yml with its anchors merged (PyYAML resolves `<<`)."""
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"][name]


def interpolate(value, variables):
    """Compose's ${NAME}, ${NAME:-default} and ${NAME:?error} over `variables`, as `docker compose` does with .env."""
    def substitute(match):
        name, operator, argument = match.group(1), match.group(2), match.group(3)
        if variables.get(name):
            return variables[name]
        if operator == ":?":
            pytest.fail(f"docker-compose.yml needs {name}: {argument}")
        return argument or ""
    return re.sub(r"\$\{(\w+)(?:(:-|:\?)([^}]*))?\}", substitute, value)


def test_compose_setup_then_baton_hand_a_user_over_to_chatwoot_on_postgresql(image, containers, workdir):
    postgres_url = os.environ.get("BATON_TEST_POSTGRES_URL")
    if not postgres_url:
        pytest.skip("no test PostgreSQL (scripts/test starts one; BATON_TEST_SKIP_POSTGRES=1 leaves it out)")
    standin_port, baton_port = free_port(), free_port()
    standin = Process("chatwoot-standin", [str(BUILD / "chatwoot-standin"), "--port", str(standin_port)], log_dir=workdir)
    standin.start().wait_for_output("listening on")
    try:
        chatwoot = f"http://127.0.0.1:{standin_port}"
        agent = Agent.from_console(chatwoot)
        database = f"baton_image_{uuid.uuid4().hex[:8]}"
        subprocess.run(["psql", postgres_url, "-q", "-c", f"CREATE DATABASE {database}"], check=True, capture_output=True)
        try:
            run_compose_services(image, containers, chatwoot, agent, baton_port, re.sub(r"/[^/]*$", f"/{database}", postgres_url))
        finally:
            subprocess.run(["psql", postgres_url, "-q", "-c", f"DROP DATABASE {database} WITH (FORCE)"], capture_output=True)
    finally:
        standin.stop()


def run_compose_services(image, containers, chatwoot, agent, baton_port, database_url):
    # What .env gives compose, pointed at this machine: the containers share its network (Chatwoot's and
    # PostgreSQL's host names on compose's network are this machine's loopback here).
    dotenv = {"BATON_PUBLIC_URL": f"http://127.0.0.1:{baton_port}", "BATON_DB_PASSWORD": "unused-here",
              "CHATWOOT_URL": chatwoot, "CHATWOOT_ACCOUNT_ID": str(agent.account), "CHATWOOT_API_ACCESS_TOKEN": agent.admin_token}
    volume = f"baton-data-{uuid.uuid4().hex[:8]}"
    containers["volumes"].append(volume)

    def arguments(service_name):
        service = compose_service(service_name)
        environment = {key: interpolate(str(value), dotenv) for key, value in service["environment"].items()}
        assert environment["BATON_STORAGE_POSTGRES_URL"].startswith("postgres://baton:unused-here@postgres:5432/")
        environment["BATON_STORAGE_POSTGRES_URL"] = database_url
        environment["BATON_SERVER_PORT"] = str(baton_port)  # the host's network: 8080 may be taken
        mounts = []
        for mount in service["volumes"]:
            source, target = mount.split(":", 1)
            source = volume if source == "baton_data" else str((ROOT / source).resolve())
            mounts += ["--volume", f"{source}:{target}"]
        variables = [item for key, value in environment.items() for item in ("--env", f"{key}={value}")]
        return ["--network", "host", *mounts, *variables, image, *service.get("command", [])]

    assert compose_service("baton")["depends_on"]["baton-setup"]["condition"] == "service_completed_successfully"
    assert compose_service("rails")["environment"]["SAFE_FETCH_ALLOW_PRIVATE_NETWORK"] == "true"

    setup = podman("run", "--rm", *arguments("baton-setup"), check=False)
    assert setup.returncode == 0, setup.stdout + setup.stderr
    assert "Website handover" in setup.stdout
    assert agent.admin_token not in setup.stdout + setup.stderr
    again = podman("run", "--rm", *arguments("baton-setup"), check=False)
    assert again.returncode == 0 and "nothing to change" in again.stdout, again.stdout + again.stderr

    name = f"baton-compose-{uuid.uuid4().hex[:8]}"
    containers["containers"].append(name)
    podman("run", "--detach", "--name", name, *arguments("baton"))
    base = f"http://127.0.0.1:{baton_port}"
    wait_ready(base, name)
    doctor = podman("exec", name, "baton", "doctor", check=False)
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr

    status, answer = http(f"{base}/api/v1/endpoints/support/messages", {"text": "Hello, I need help"})
    assert status == 200, answer
    session = json.loads(answer)["sessionId"]
    conversation = agent.conversation_for(session)
    inbox = next(c for c in agent.conversations() if c["id"] == conversation)["inbox_id"]
    inboxes = agent.request("GET", "/inboxes", as_admin=True)["payload"]
    assert next(i["name"] for i in inboxes if i["id"] == inbox) == "Website handover"
    # The agent's reply comes back through the inbox's webhook, signed with the secret setup left on the volume.
    agent.reply(conversation, "Hi, this is Maria")

    def agent_reply():
        status, text = http(f"{base}/api/v1/endpoints/support/sessions/{session}/messages?after=0")
        return status == 200 and any(m["sender"] == "agent" and m["text"] == "Hi, this is Maria" for m in json.loads(text)["messages"])
    wait_until(agent_reply, 20, "the agent's reply at the REST channel")

    # The compose config logs JSON: every line of the container's output is one object, and no secret is in it.
    output = podman("logs", name).stdout.strip().splitlines()
    assert output and all(isinstance(json.loads(line), dict) for line in output), output[:5]
    assert agent.admin_token not in "\n".join(output)
