"""The registry's real SOAP client for the tests: Apache Axis 1.4 (Debian's libaxis-java) on the JDK.

`tests/ckw/axis/RegistryClient.java` makes the calls exactly as the registry's BdcCourtKzJhSoapServiceImpl
does; it is compiled once per source version into a cache under the temporary directory. Each argument is
the exact string the registry would pass (Base64 of its XML document, built by the test).

Without Java or the Axis jars the tests using this fail, with the install hint: `make test` and .ci/run
install them first (tests/ensure-axis), so a missing client is never a silent skip.
"""

import hashlib
import os
import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parent / "axis" / "RegistryClient.java"
JARS_DIR = Path("/usr/share/java")
# Axis 1.4 and what it loads: JAX-RPC and SAAJ (Axis's own), discovery, logging, WSDL4J; activation and
# mail for attachment support (without them Axis warns on every start).
JARS = (
    "axis.jar",
    "axis-jaxrpc.jar",
    "axis-saaj.jar",
    "commons-discovery.jar",
    "commons-logging.jar",
    "wsdl4j.jar",
    "javax.activation.jar",
    "javax.mail.jar",
)
INSTALL_HINT = "run tests/ensure-axis (apt-get install libaxis-java default-jdk-headless)"
TIMEOUT = 60  # seconds for one JVM; Axis's own default would wait 10 minutes for an answer


class AxisFault(Exception):
    """What Axis raised: the client's "faultCode: ...", "faultString: ...", "faultDetail: ..." lines."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text
        fields: dict[str, str] = {}
        for line in text.splitlines():
            name, sep, value = line.partition(": ")
            if sep and name in ("faultCode", "faultString", "faultActor"):
                fields.setdefault(name, value)
        self.code = fields.get("faultCode", "")
        self.string = fields.get("faultString", "")


_built: Path | None = None


def _classpath() -> str:
    missing = [jar for jar in JARS if not (JARS_DIR / jar).exists()]
    javac, java = shutil.which("javac"), shutil.which("java")
    if missing or not javac or not java:
        what = ", ".join(missing + [tool for tool, path in (("java", java), ("javac", javac)) if not path])
        message = f"the registry's Axis client cannot run: {what} missing; {INSTALL_HINT}"
        pytest.fail(message)
    return os.pathsep.join(str(JARS_DIR / jar) for jar in JARS)


def _build() -> Path:
    """RegistryClient compiled into a jar once per version of its source, its jars and the JDK, in a cache
    shared by parallel runs (built aside, then renamed into place). Holds the class-data archive too."""
    global _built
    if _built is not None:
        return _built
    classpath = _classpath()
    java = Path(shutil.which("java") or "java").resolve()
    key = hashlib.sha256(
        b"\0".join(
            [SOURCE.read_bytes(), classpath.encode(), str(java).encode(), str(java.stat().st_mtime).encode()]
        )
    ).hexdigest()[:16]
    cache = Path(tempfile.gettempdir()) / f"hub-axis-client-{os.getuid()}"
    target = cache / key
    if not (target / "registry-client.jar").exists():
        cache.mkdir(parents=True, exist_ok=True)
        building = Path(tempfile.mkdtemp(dir=cache, prefix=f"{key}-"))
        result = subprocess.run(
            ["javac", "-nowarn", "-encoding", "UTF-8", "-cp", classpath, "-d", str(building), str(SOURCE)],
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )
        if result.returncode:
            shutil.rmtree(building, ignore_errors=True)
            pytest.fail(f"javac could not compile {SOURCE.name}:\n{result.stderr}")
        with zipfile.ZipFile(building / "registry-client.jar", "w") as jar:  # CDS archives only jars
            for compiled in sorted(building.glob("*.class")):
                jar.write(compiled, compiled.name)
                compiled.unlink()
        try:
            building.rename(target)
        except OSError:  # another process got there first
            shutil.rmtree(building, ignore_errors=True)
    _built = target
    return target


def _java(*args: str) -> subprocess.CompletedProcess[bytes]:
    """RegistryClient in a JVM tuned for a short life: C1 only, and Axis's classes from a class-data archive
    written by the first run (about half the start-up time of a plain `java`)."""
    build = _build()
    archive = build / "classes.jsa"
    if archive.exists():
        sharing = [f"-XX:SharedArchiveFile={archive}"]
    else:
        sharing = [f"-XX:ArchiveClassesAtExit={build / f'classes-{os.getpid()}.jsa'}"]
    classpath = os.pathsep.join([str(build / "registry-client.jar"), _classpath()])
    command = [
        "java",
        "-XX:TieredStopAtLevel=1",
        "-XX:-UsePerfData",
        "-Xlog:disable",
        *sharing,
        "-cp",
        classpath,
    ]
    result = subprocess.run([*command, "RegistryClient", *args], capture_output=True, timeout=TIMEOUT)
    if not archive.exists() and (written := build / f"classes-{os.getpid()}.jsa").exists():
        written.replace(archive)
    return result


Argument = str | tuple[str, str]


def axis_call(endpoint: str, operation: str, *args: Argument) -> str:
    """One call as the registry makes it; the string Axis returned ("" for an empty or nil answer).

    The arguments are given in the registry's order: usermarker, then feedbackinfo or wsbhinfo; a
    (name, value) pair names a parameter itself (for an operation the registry does not have). Raises
    AxisFault for a SOAP Fault, an HTTP error or a refused connection.
    """
    with tempfile.TemporaryDirectory(prefix="axis-call-") as work:
        files = _argument_files(Path(work), 0, args)
        result = _java(endpoint, operation, *files)
    stderr = result.stderr.decode("utf-8", "replace")
    if result.returncode == 2:
        raise AxisFault(stderr)
    if result.returncode:
        raise AssertionError(f"RegistryClient failed (exit {result.returncode}): {stderr}")
    return result.stdout.decode("utf-8")


def axis_calls(
    endpoint: str, calls: Sequence[tuple[str, Sequence[Argument]]], *, return_faults: bool = False
) -> list[str | AxisFault]:
    """Several calls, in order, in one JVM (about 0.5 s saved per call). One result per call: the string,
    or with return_faults an AxisFault in its place; without it the first fault is raised."""
    with tempfile.TemporaryDirectory(prefix="axis-calls-") as work:
        folder = Path(work)
        lines = []
        for index, (operation, args) in enumerate(calls):
            files = _argument_files(folder, index, args)
            lines.append("\t".join([str(folder / f"result-{index}"), endpoint, operation, *files]))
        batch = folder / "batch.txt"
        batch.write_text("\n".join(lines) + "\n", encoding="utf-8")
        result = _java("--batch", str(batch))
        if result.returncode:
            raise AssertionError(f"RegistryClient --batch failed: {result.stderr.decode('utf-8', 'replace')}")
        answers: list[str | AxisFault] = []
        for index in range(len(calls)):
            stem = folder / f"result-{index}"
            if (out := stem.with_suffix(".out")).exists():
                answers.append(out.read_text(encoding="utf-8"))
            elif (fault := stem.with_suffix(".fault")).exists():
                error = AxisFault(fault.read_text(encoding="utf-8"))
                if not return_faults:
                    raise error
                answers.append(error)
            else:
                error_text = stem.with_suffix(".error").read_text(encoding="utf-8")
                raise AssertionError(f"RegistryClient call {index} failed: {error_text}")
        return answers


def _argument_files(folder: Path, index: int, args: Sequence[Argument]) -> list[str]:
    paths = []
    for position, argument in enumerate(args):
        name, value = argument if isinstance(argument, tuple) else ("", argument)
        path = folder / f"arg-{index}-{position}"
        path.write_text(value, encoding="utf-8", newline="")
        paths.append(f"{name}={path}" if name else str(path))
    return paths
