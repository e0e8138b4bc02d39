"""docker/compose.yaml and docker/Dockerfile agree with the hub: its settings, its commands, its ports, its files.

No Docker engine runs here: the files are parsed and each thing they name is looked up in the code.
"""

import json
import re
import shlex
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from typer.main import get_command

from hub.cli import app as cli
from hub.config import Settings

ROOT = Path(__file__).resolve().parents[2]
DOCKER = ROOT / "docker"
HUB_SERVICES = ("migrate", "api", "worker")


def instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) per instruction, continuation lines joined, comments dropped."""
    text = "\n".join(
        line for line in dockerfile.read_text().splitlines() if not line.lstrip().startswith("#")
    )
    joined = re.sub(r"\\\n\s*", " ", text)
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1])
        for line in joined.splitlines()
        if line.strip()
    ]


def final_stage(dockerfile: Path) -> list[tuple[str, str]]:
    found = instructions(dockerfile)
    last_from = max(i for i, (op, _) in enumerate(found) if op == "FROM")
    return found[last_from:]


def env_pairs(arguments: str) -> dict[str, str]:
    return dict(pair.split("=", 1) for pair in shlex.split(arguments))


def hub_commands(argv: list[str]) -> list[list[str]]:
    """The `hub ...` invocations in a command: itself, or each part of `sh -c "a && exec b"`."""
    if argv[:2] == ["sh", "-c"]:
        parts = [shlex.split(part) for part in argv[2].split("&&")]
        return [part[1:] if part[0] == "exec" else part for part in parts]
    return [argv]


def parse_hub(argv: list[str]) -> dict:
    """Parse `hub ARGS` with the real typer app, as the command line would; its options' values."""
    assert argv[0] == "hub", f"not a hub command: {argv}"
    command, context, name, args = get_command(cli), None, "hub", argv[1:]
    while hasattr(command, "list_commands"):  # a group: the next word names the command
        context = command.context_class(command, info_name=name, parent=context)
        assert args, f"{argv}: a command is missing after {name}"
        name, *args = args
        command = command.get_command(context, name)
        assert command is not None, f"{argv}: hub has no command {name!r}"
    return command.make_context(name, args, parent=context).params


def interpolated(value: str) -> str:
    """A compose value with ${VAR:-default} as its default and ${VAR:?error} as a placeholder."""
    value = re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", value)
    return re.sub(r"\$\{\w+:\?[^}]*\}", "placeholder-from-the-environment", value)


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((DOCKER / "compose.yaml").read_text())


@pytest.fixture(scope="module")
def dockerfile() -> list[tuple[str, str]]:
    return final_stage(DOCKER / "Dockerfile")


def service_env(compose: dict, service: str) -> dict[str, str]:
    environment = compose["services"][service].get("environment", {})
    if isinstance(environment, list):
        environment = dict(item.split("=", 1) for item in environment)
    return {key: str(value) for key, value in environment.items()}


def test_the_old_compose_file_is_gone_and_the_image_builds_from_the_repository_root(compose):
    assert not (DOCKER / "compose.yml").exists()
    for service in HUB_SERVICES:
        build = compose["services"][service]["build"]
        assert (DOCKER / build["context"]).resolve() == ROOT
        assert (ROOT / build["dockerfile"]).resolve() == DOCKER / "Dockerfile"


def test_every_hub_variable_set_is_a_setting_and_valid(compose, dockerfile, monkeypatch):
    variables: dict[str, str] = {}
    for op, arguments in dockerfile:
        if op == "ENV":
            variables.update(env_pairs(arguments))
    for service in compose["services"]:
        variables.update(service_env(compose, service))
    referenced = set(re.findall(r"\$\{(HUB_\w+)", (DOCKER / "compose.yaml").read_text()))
    hub_variables = {name for name in variables if name.startswith("HUB_")} | referenced
    assert {"HUB_DATABASE_URL", "HUB_SECRET_KEY", "HUB_DATA_DIR", "HUB_SMTP_HOST"} <= hub_variables
    unknown = sorted(name for name in hub_variables if name[4:].lower() not in Settings.model_fields)
    assert not unknown, f"not settings of the hub (hub/config.py): {unknown}"

    for name in hub_variables - set(variables):
        monkeypatch.delenv(name, raising=False)
    for name, raw in variables.items():
        if name.startswith("HUB_"):
            monkeypatch.setenv(name, interpolated(raw))
    settings = Settings()  # every value as the hub would read it: a wrong type fails here
    assert settings.database_url.startswith("postgresql+psycopg://")
    settings.check_secret()  # not the built-in demo secret: compose requires HUB_SECRET_KEY


def test_the_database_and_the_mail_server_are_services_of_the_file(compose):
    for service in HUB_SERVICES:
        env = service_env(compose, service)
        database = urlsplit(interpolated(env["HUB_DATABASE_URL"]))
        assert database.hostname in compose["services"] and database.port == 5432
        assert env["HUB_SMTP_HOST"] == "mailpit" and env["HUB_SMTP_PORT"] == "1025"
    assert compose["services"]["db"]["image"] == "postgres:16"
    assert "pg_isready" in " ".join(compose["services"]["db"]["healthcheck"]["test"])
    assert "8025:8025" in compose["services"]["mailpit"]["ports"]  # the web page to read the alerts


def test_every_command_is_a_hub_command_and_one_service_migrates_before_the_others(compose, dockerfile):
    [cmd] = [json.loads(arguments) for op, arguments in dockerfile if op == "CMD"]
    image = [parse_hub(argv) for argv in hub_commands(cmd)]
    assert image[0] == {}  # hub db upgrade, then hub serve
    commands = {service: hub_commands(compose["services"][service]["command"]) for service in HUB_SERVICES}
    parsed = {service: [parse_hub(argv) for argv in argvs] for service, argvs in commands.items()}
    assert [argv[:3] for argv in commands["migrate"]] == [["hub", "db", "upgrade"]]
    assert parsed["api"][0]["with_worker"] is False and commands["worker"] == [["hub", "worker"]]
    for service in ("api", "worker"):
        assert all("upgrade" not in argv for argv in commands[service])
        assert compose["services"][service]["depends_on"]["migrate"] == {
            "condition": "service_completed_successfully"
        }
    assert compose["services"]["migrate"]["depends_on"]["db"] == {"condition": "service_healthy"}
    readme = (DOCKER / "README.md").read_text()
    for line in re.findall(r"run --rm migrate (hub [^\n`]+)", readme):
        parse_hub(shlex.split(line))


def test_the_ports_agree(compose, dockerfile):
    [exposed] = [int(arguments) for op, arguments in dockerfile if op == "EXPOSE"]
    [cmd] = [json.loads(arguments) for op, arguments in dockerfile if op == "CMD"]
    [serve] = [parse_hub(argv) for argv in hub_commands(cmd) if argv[1] == "serve"]
    assert serve["port"] == exposed and serve["host"] == "0.0.0.0"
    api = parse_hub(hub_commands(compose["services"]["api"]["command"])[0])
    assert api["host"] == "0.0.0.0"
    published = [str(port).rsplit(":", 1) for port in compose["services"]["api"]["ports"]]
    assert [int(container) for _, container in published] == [api["port"]] == [exposed]
    [healthcheck] = [arguments for op, arguments in dockerfile if op == "HEALTHCHECK"]
    assert f"http://127.0.0.1:{exposed}/readyz" in healthcheck


def test_the_healthcheck_asks_the_readiness_probe_with_python(dockerfile, client):
    [healthcheck] = [arguments for op, arguments in dockerfile if op == "HEALTHCHECK"]
    probe = json.loads(healthcheck.split("CMD", 1)[1])
    assert probe[0] == "python"  # the slim image has no curl
    path = urlsplit(re.search(r"'(http://[^']+)'", probe[2]).group(1)).path
    response = client.get(path)
    assert response.status_code == 200 and response.json()["status"] == "ready"


def test_every_hub_process_shares_one_data_volume(compose):
    for service in HUB_SERVICES:
        data_dir = service_env(compose, service)["HUB_DATA_DIR"]
        assert f"hubdata:{data_dir}" in compose["services"][service]["volumes"], service
    assert "hubdata" in compose["volumes"]


def test_the_image_runs_as_a_user_and_copies_files_that_exist():
    found = instructions(DOCKER / "Dockerfile")
    assert [arguments for op, arguments in found if op == "FROM"][-1] == "python:3.11-slim"
    copies = [shlex.split(arguments) for op, arguments in found if op == "COPY"]
    from_context = [words for words in copies if not any(w.startswith("--from=") for w in words)]
    assert from_context
    for words in from_context:
        for source in words[:-1]:
            assert (ROOT / source).exists(), f"COPY {source}: no such file in the repository"
    users = [arguments for op, arguments in final_stage(DOCKER / "Dockerfile") if op == "USER"]
    assert users and users[-1] not in ("root", "0")
